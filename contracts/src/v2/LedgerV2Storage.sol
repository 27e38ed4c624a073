// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "./ILedgerV2.sol";
import {LedgerV2Rules} from "./LedgerV2Rules.sol";
import {LedgerDraws} from "../LedgerDraws.sol";

/// @title LedgerV2Storage
/// @notice Storage layout of LedgerV2 and the helpers its delegatecall modules share (bonds, slashing, credits,
///         seats, seeds, seat draws). LedgerV2, LedgerV2Disputes and LedgerV2Jobs inherit it first, so a module
///         run by delegatecall sees the ledger's storage slot for slot.
abstract contract LedgerV2Storage {
    uint64 internal constant _SEED_DELAY = 2;
    uint256 internal constant _MAX_COMMITTEE = 16;
    uint256 internal constant _MAX_JURY = 15;
    uint256 internal constant _MAX_SAMPLES = 16;
    uint256 internal constant _MAX_REDRAWS = 4;
    uint256 internal constant _MAX_DISPUTE_SEGMENTS = 16;
    uint256 internal constant _MAX_CHALLENGERS = 8;
    uint256 internal constant _MAX_SEGMENTS = type(uint16).max;
    uint256 internal constant _MAX_SEATS = type(uint16).max; // seat indices are packed as uint16 in juries
    /// @dev Every seed is read while its blockhash exists (256 blocks) or from the _seeds cache; windows that
    ///      need a live blockhash are bounded by this sum.
    uint256 internal constant _MAX_SEEDED_WINDOW = 240;
    uint256 internal constant _STAKE_CAP = type(uint80).max;

    /// @dev slot 0 is all a submission and a finalization write (one SSTORE each, not two); escrow and reserved
    ///      fit in 88 bits as _totalEscrow, their sum over jobs, does.
    struct Job {
        // slot 0
        uint88 escrow;
        uint88 reserved;
        uint32 openClaims;
        uint16 roundClaims;
        uint32 acceptedCount;
        // slot 1
        address owner;
        uint40 roundStart;
        uint32 round;
        // slot 2
        uint64 pendingProposal;
        // Set by createJob, never cleared: slot 2 stays nonzero, so each round's proposal id is a 2,900-gas
        // rewrite (and its clearing no refund-capped write), not a 20,000-gas fresh slot per round.
        bool slot2Kept;
    }

    /// @dev ILedgerV2.JobParams as stored: the same fields and types, grouped by the calls that read them, so
    ///      that an approval reads one slot of them (2), a submission and a finalization two (2, 3), where the
    ///      interface's order cost an approval two and a submission three.
    struct Params {
        bytes32 specHash;
        bytes32 genesisHead;
        // slot 2: approve, submit, finalize
        uint96 approvalBond;
        uint8 committeeSize;
        uint16 verifyWindow;
        uint16 challengeWindow;
        uint8 quorum;
        uint96 claimBond;
        uint16 maxClaimsPerRound;
        // slot 3: submit, finalize
        uint96 rewardPerClaim;
        uint96 approvalFee;
        uint32 checkpointEvery;
        uint32 submitWindow;
        // slot 4: disputes, heads
        uint96 challengeBond;
        uint96 jurorBond;
        uint16 commitWindow;
        uint16 revealWindow;
        uint16 headWindow;
        uint8 jurySize;
        uint8 samplesPerMember;
        // slot 5: an expired claim, a missed approval, a redraw
        uint96 expiryPenalty;
        uint96 missPenalty;
        uint8 maxRedraws;
        // slot 6
        uint96 headBond;
    }

    struct Round {
        bytes32 head;
        // Stored as is (0 at a round's start): pre-setting a nonzero mask cost every round a fresh slot at its
        // creation (22,100) to save 17,100 at its first accepted claim.
        bytes32 accumulator;
    }

    /// @dev slot 0 is everything a settlement touches: bonds, slashes and credits are one write.
    struct StakeRecord {
        uint80 active;
        uint80 locked;
        uint96 credit;
        uint96 unbonding;
        uint40 unlockBlock;
        uint32 seatPlusOne;
    }

    /// @dev One slot.
    struct Claim {
        uint32 workerIndex;
        uint32 jobId;
        uint32 round;
        uint40 submitBlock;
        uint32 seatCount;
        uint16 segments;
        uint16 approvedMask;
        ILedgerV2.ClaimStatus status;
        uint32 disputeId;
        uint16 spare;
    }

    struct ClaimData {
        bytes32 result;
        bytes32 transcriptRoot;
    }

    struct Dispute {
        // slot 0
        ILedgerV2.DisputeKind kind;
        ILedgerV2.DisputeStatus status;
        uint8 attempt;
        uint8 segmentCount;
        uint8 reveals;
        uint8 challengerCount;
        uint8 juryAttemptPlusOne; // attempt + 1 whose jury is stored in jury
        uint8 jurySeated;
        uint16 faultyMask;
        uint32 jobId;
        uint64 subject;
        uint40 attemptStart;
        // slot 1
        uint40 openBlock;
        uint32 seatCount;
        uint128 faultyVotes; // 16 x 8-bit counters, one per named segment
        // slot 2, 3, 4
        uint256 segmentsPacked; // 16 x uint16
        uint256 juryPacked; // 16 x uint16 seat indices
        bytes32 claimSeed; // claim disputes: the claim's sample seed
    }

    struct Challenger {
        address account;
        uint16 namedMask; // over dispute segment positions
    }

    struct JurorVote {
        bytes32 commitment;
        uint16 verdicts;
        bool revealed;
    }

    struct Proposal {
        address proposer;
        uint32 jobId;
        uint32 round;
        ILedgerV2.ProposalStatus status;
        uint40 proposeBlock;
        uint32 disputeId;
        // No parent: it is always _rounds[jobId][round].head (a round's head never changes once set), and a
        // fourth fresh slot per proposal cost 22,100 gas.
        bytes32 newHead;
    }

    mapping(uint256 jobId => Params) internal _params;
    mapping(uint256 jobId => Job) internal _jobs;
    mapping(uint256 jobId => mapping(uint256 round => Round)) internal _rounds;
    mapping(address account => mapping(ILedgerV2.Role role => StakeRecord)) internal _stakes;
    mapping(address account => uint32) internal _accountIndex;
    mapping(uint32 index => address) internal _accountAt;
    ILedgerV2.Seat[] internal _seats;
    mapping(uint256 claimId => Claim) internal _claims;
    mapping(bytes32 key => ClaimData) internal _claimData;
    mapping(uint256 blockNumber => bytes32) internal _seeds;
    mapping(uint256 disputeId => Dispute) internal _disputes;
    mapping(uint256 disputeId => Challenger[]) internal _challengers;
    mapping(uint256 disputeId => mapping(uint256 attempt => mapping(address juror => JurorVote))) internal _votes;
    mapping(uint256 disputeId => mapping(uint256 attempt => address[])) internal _committers;
    mapping(uint256 proposalId => Proposal) internal _proposals;

    uint88 internal _totalEscrow;
    uint88 internal _totalCredits;
    uint80 internal _totalStakes;
    uint64 internal _lastClaimId;
    uint32 internal _lastJobId;
    uint32 internal _lastDisputeId;
    uint64 internal _lastProposalId;
    uint32 internal _lastAccountIndex;
    /// @dev _seats.length, kept in the slot of _lastClaimId, which a submission writes anyway (saves the cold
    ///      read of the array's length slot per claim). Written only where a seat is pushed.
    uint32 internal _seatTotal;
    /// @dev Set once by the ledger's constructor; read by the modules too.
    uint96 internal _seatStakeWei;
    uint64 internal _unbondingDelay;

    // ---------------------------------------------------------------------------------------------
    // Lookups
    // ---------------------------------------------------------------------------------------------

    function _existingJob(uint256 jobId) internal view returns (Job storage j) {
        j = _jobs[jobId];
        if (j.owner == address(0)) revert ILedgerV2.JobNotFound(jobId);
    }

    function _storeParams(uint256 jobId, ILedgerV2.JobParams calldata p) internal {
        Params storage q = _params[jobId];
        q.specHash = p.specHash;
        q.genesisHead = p.genesisHead;
        q.rewardPerClaim = p.rewardPerClaim;
        q.approvalFee = p.approvalFee;
        q.committeeSize = p.committeeSize;
        q.quorum = p.quorum;
        q.checkpointEvery = p.checkpointEvery;
        q.maxClaimsPerRound = p.maxClaimsPerRound;
        q.claimBond = p.claimBond;
        q.approvalBond = p.approvalBond;
        q.submitWindow = p.submitWindow;
        q.verifyWindow = p.verifyWindow;
        q.challengeWindow = p.challengeWindow;
        q.challengeBond = p.challengeBond;
        q.jurorBond = p.jurorBond;
        q.commitWindow = p.commitWindow;
        q.revealWindow = p.revealWindow;
        q.headWindow = p.headWindow;
        q.jurySize = p.jurySize;
        q.samplesPerMember = p.samplesPerMember;
        q.expiryPenalty = p.expiryPenalty;
        q.missPenalty = p.missPenalty;
        q.maxRedraws = p.maxRedraws;
        q.headBond = p.headBond;
    }

    function _loadParams(uint256 jobId) internal view returns (ILedgerV2.JobParams memory) {
        Params storage q = _params[jobId];
        return ILedgerV2.JobParams({
            specHash: q.specHash,
            genesisHead: q.genesisHead,
            rewardPerClaim: q.rewardPerClaim,
            approvalFee: q.approvalFee,
            committeeSize: q.committeeSize,
            quorum: q.quorum,
            jurySize: q.jurySize,
            samplesPerMember: q.samplesPerMember,
            checkpointEvery: q.checkpointEvery,
            claimBond: q.claimBond,
            approvalBond: q.approvalBond,
            submitWindow: q.submitWindow,
            verifyWindow: q.verifyWindow,
            challengeWindow: q.challengeWindow,
            challengeBond: q.challengeBond,
            jurorBond: q.jurorBond,
            commitWindow: q.commitWindow,
            revealWindow: q.revealWindow,
            headWindow: q.headWindow,
            maxClaimsPerRound: q.maxClaimsPerRound,
            headBond: q.headBond,
            expiryPenalty: q.expiryPenalty,
            maxRedraws: q.maxRedraws,
            missPenalty: q.missPenalty
        });
    }

    function _claimKey(uint256 jobId, uint256 round, uint256 workerIndex) internal pure returns (bytes32) {
        return keccak256(abi.encode(jobId, round, workerIndex));
    }

    function _seedBlockOf(Claim memory c) internal pure returns (uint256) {
        return uint256(c.submitBlock) + _SEED_DELAY;
    }

    // ---------------------------------------------------------------------------------------------
    // Seeds
    // ---------------------------------------------------------------------------------------------

    /// @dev blockhash(b), recorded on first use so that it outlives the 256-block horizon.
    function _recordSeed(uint256 b) internal returns (bytes32 seed) {
        seed = _seeds[b];
        if (seed == 0) {
            seed = blockhash(b);
            if (seed == 0) revert ILedgerV2.SeedUnavailable(b, block.number);
            _seeds[b] = seed;
        }
    }

    /// @dev blockhash(b) from the cache or the chain; 0 when neither has it.
    function _peekSeed(uint256 b) internal view returns (bytes32 seed) {
        seed = _seeds[b];
        if (seed == 0 && b < block.number) seed = blockhash(b);
    }

    // ---------------------------------------------------------------------------------------------
    // Bonds, slashes, credits, escrow
    // ---------------------------------------------------------------------------------------------

    function _lockBond(address a, ILedgerV2.Role r, uint256 amount) internal {
        StakeRecord storage s = _stakes[a][r];
        uint256 active = s.active;
        uint256 locked = s.locked;
        if (active - locked < amount) revert ILedgerV2.InsufficientUnlockedStake(a, r, amount, active - locked);
        s.locked = uint80(locked + amount); // <= active < 2^80
    }

    function _releaseBond(address a, ILedgerV2.Role r, uint256 amount) internal {
        _stakes[a][r].locked -= uint80(amount);
    }

    /// @dev Take a locked bond: it leaves both locked and active (locked <= active, so all of it exists).
    function _slashBond(address a, ILedgerV2.Role r, uint256 amount, uint256 subject, ILedgerV2.SlashReason why)
        internal
    {
        StakeRecord storage s = _stakes[a][r];
        s.locked -= uint80(amount);
        s.active -= uint80(amount);
        _totalStakes -= uint80(amount);
        emit ILedgerV2.Slashed(a, r, subject, amount, why);
        if (r == ILedgerV2.Role.Verifier) _retireIfBelowSeatStake(a, s);
    }

    /// @dev Take up to `amount` of unlocked active stake (penalties that back no bond); returns what was taken.
    function _slashFree(address a, ILedgerV2.Role r, uint256 amount, uint256 subject, ILedgerV2.SlashReason why)
        internal
        returns (uint256 taken)
    {
        StakeRecord storage s = _stakes[a][r];
        uint256 free = uint256(s.active) - s.locked;
        taken = amount < free ? amount : free;
        if (taken == 0) return 0;
        s.active -= uint80(taken);
        _totalStakes -= uint80(taken);
        emit ILedgerV2.Slashed(a, r, subject, taken, why);
        if (r == ILedgerV2.Role.Verifier) _retireIfBelowSeatStake(a, s);
    }

    function _credit(address a, ILedgerV2.Role r, uint256 amount, uint256 subject, ILedgerV2.CreditReason why)
        internal
    {
        if (amount == 0) return;
        _stakes[a][r].credit += uint96(amount);
        _totalCredits += uint88(amount);
        emit ILedgerV2.Credited(a, subject, amount, why);
    }

    /// @dev Wei that left stakes (already subtracted from _totalStakes) or a reservation goes to available escrow.
    function _toEscrow(uint256 jobId, uint256 subject, uint256 amount, bool fromStakes) internal {
        if (amount == 0) return;
        Job storage j = _jobs[jobId];
        uint256 e = uint256(j.escrow) + amount;
        j.escrow = uint88(e);
        if (fromStakes) _totalEscrow += uint88(amount);
        emit ILedgerV2.EscrowReleased(jobId, subject, amount, e);
    }

    // ---------------------------------------------------------------------------------------------
    // Seats
    // ---------------------------------------------------------------------------------------------

    function _seatStake() internal view returns (uint256) {
        return _seatStakeWei;
    }

    /// @dev _seats[index] without the bounds check, whose read of the array's length is a cold SLOAD per
    ///      transaction: only for indices drawn below a claim's or dispute's seatCount, which never exceeds
    ///      _seats.length (seats are only ever pushed). A Seat is one slot.
    function _drawnSeat(uint256 index) internal view returns (ILedgerV2.Seat storage s) {
        ILedgerV2.Seat[] storage all = _seats;
        assembly ("memory-safe") {
            mstore(0, all.slot)
            s.slot := add(keccak256(0, 0x20), index)
        }
    }

    function _liveSeat(StakeRecord storage s) internal view returns (bool live, uint256 index) {
        uint256 p = s.seatPlusOne;
        if (p == 0) return (false, 0);
        index = p - 1;
        live = _seats[index].retiredAt == 0;
    }

    function _retireSeat(address a, StakeRecord storage s) internal {
        (bool live, uint256 index) = _liveSeat(s);
        if (!live) return;
        _seats[index].retiredAt = uint40(block.number);
        emit ILedgerV2.SeatRetired(index, a, uint64(block.number));
    }

    function _retireIfBelowSeatStake(address a, StakeRecord storage s) internal {
        if (s.active < _seatStake()) _retireSeat(a, s);
    }

    /// @dev The first `size` distinct eligible seats of a draw stream, skipping `excluded` accounts
    ///      (verifier/committee.py draw_seats).
    function _drawSeats(
        bytes memory domain,
        bytes32 seed,
        uint256 subject,
        uint256 seatCount,
        uint256 frozenAt,
        uint256 size,
        address[] memory excluded
    ) internal view returns (uint256[] memory chosen) {
        chosen = new uint256[](size);
        uint256 n;
        if (seatCount != 0) {
            uint256 draws = LedgerV2Rules.maxDraws(size);
            // LedgerDraws.seatDraw's preimage (domain, seed, subject, i) laid out once, only i rewritten per
            // draw: a fresh abi.encodePacked per draw grew memory with every draw of every claim of a batch.
            uint256 len = domain.length;
            uint256 buf;
            assembly ("memory-safe") {
                buf := mload(0x40)
                mcopy(buf, add(domain, 0x20), len)
                mstore(add(buf, len), seed)
                mstore(add(add(buf, len), 0x20), subject)
                mstore(0x40, add(add(buf, len), 0x60))
            }
            for (uint256 i; i < draws && n < size; ++i) {
                uint256 idx;
                assembly ("memory-safe") {
                    mstore(add(add(buf, len), 0x40), i)
                    idx := mod(keccak256(buf, add(len, 0x60)), seatCount)
                }
                bool skip;
                for (uint256 k; k < n; ++k) {
                    if (chosen[k] == idx) {
                        skip = true;
                        break;
                    }
                }
                if (skip) continue;
                ILedgerV2.Seat storage st = _drawnSeat(idx); // idx < seatCount; no memory copy per draw
                if (!LedgerV2Rules.eligible(st.registeredAt, st.retiredAt, frozenAt)) continue;
                for (uint256 k; k < excluded.length; ++k) {
                    if (excluded[k] == st.account) {
                        skip = true;
                        break;
                    }
                }
                if (skip) continue;
                chosen[n++] = idx;
            }
        }
        assembly ("memory-safe") {
            mstore(chosen, n)
        }
    }

    /// @dev A claim's committee from its seed.
    function _committee(uint256 claimId, Claim memory c, bytes32 seed) internal view returns (uint256[] memory) {
        address[] memory ex = new address[](1);
        ex[0] = _accountAt[c.workerIndex];
        return _drawSeats(
            LedgerDraws.COMMITTEE_DOMAIN, seed, claimId, c.seatCount, c.submitBlock, _params[c.jobId].committeeSize, ex
        );
    }

    /// @dev Position of `account` in `seats`, or type(uint256).max.
    function _positionOf(uint256[] memory seats, address account) internal view returns (uint256) {
        for (uint256 p; p < seats.length; ++p) {
            if (_drawnSeat(seats[p]).account == account) return p;
        }
        return type(uint256).max;
    }

    // ---------------------------------------------------------------------------------------------
    // Claim closing (shared by finalize and dispute resolution)
    // ---------------------------------------------------------------------------------------------

    /// @dev Close a Pending claim: status, reservation (minus what was paid) back to escrow, open count.
    function _closeClaim(uint256 claimId, Claim storage cs, ILedgerV2.ClaimStatus status, uint256 approvals, uint256 paid)
        internal
    {
        cs.status = status;
        uint256 jobId = cs.jobId;
        Params storage p = _params[jobId];
        Job storage j = _jobs[jobId];
        uint256 reserve = LedgerV2Rules.reservation(p.rewardPerClaim, p.approvalFee, p.committeeSize);
        j.reserved -= uint88(reserve);
        j.openClaims -= 1;
        emit ILedgerV2.ClaimFinalized(claimId, jobId, cs.round, status, approvals);
        // reserve - paid stays in escrow (it never left _totalEscrow); paid moved to credits.
        _totalEscrow -= uint88(paid);
        _toEscrow(jobId, claimId, reserve - paid, false);
    }

    /// @dev Every party whose bond the verdict moves: a claim's worker, challengers and approvers; a head's
    ///      proposer and challengers. Fixed once the dispute is sealed (approvals and challenges stop at its seed
    ///      block).
    function _juryExcluded(uint256 disputeId, Dispute storage d) internal view returns (address[] memory ex) {
        Challenger[] storage ch = _challengers[disputeId];
        uint256 nc = ch.length;
        if (d.kind == ILedgerV2.DisputeKind.Claim) {
            Claim memory c = _claims[d.subject];
            uint256[] memory committee = _committee(d.subject, c, d.claimSeed);
            ex = new address[](1 + nc + LedgerV2Rules.popcount(c.approvedMask));
            ex[0] = _accountAt[c.workerIndex];
            uint256 n = 1 + nc;
            for (uint256 p; p < committee.length; ++p) {
                if (c.approvedMask & (1 << p) != 0) ex[n++] = _drawnSeat(committee[p]).account;
            }
        } else {
            ex = new address[](1 + nc);
            ex[0] = _proposals[d.subject].proposer;
        }
        for (uint256 i; i < nc; ++i) {
            ex[1 + i] = ch[i].account;
        }
    }

    /// @dev The block after which a dispute takes no more approvals, challengers or segments: its first jury's seed
    ///      block (a redraw does not reopen it).
    function _sealBlock(Dispute storage d) internal view returns (uint256) {
        return uint256(d.openBlock) + _SEED_DELAY;
    }

    function _jurySeedBlock(Dispute storage d) internal view returns (uint256) {
        return uint256(d.attemptStart) + _SEED_DELAY;
    }

    /// @dev The jury of the dispute's current attempt: stored once seated, else drawn from its seed.
    function _currentJury(uint256 disputeId, Dispute storage d, bytes32 seed) internal view returns (uint256[] memory seats) {
        if (d.juryAttemptPlusOne == d.attempt + 1) {
            uint256 n = d.jurySeated;
            uint256 packed = d.juryPacked;
            seats = new uint256[](n);
            for (uint256 i; i < n; ++i) {
                seats[i] = (packed >> (16 * i)) & 0xffff;
            }
        } else {
            seats = _drawSeats(
                LedgerDraws.JURY_DOMAIN,
                seed,
                disputeId,
                d.seatCount,
                d.openBlock,
                _params[d.jobId].jurySize,
                _juryExcluded(disputeId, d)
            );
        }
    }
}
