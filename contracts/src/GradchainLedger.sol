// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IGradchainLedger} from "./IGradchainLedger.sol";
import {LedgerRounds} from "./LedgerRounds.sol";
import {LedgerRules} from "./LedgerRules.sol";
import {LedgerStorage} from "./LedgerStorage.sol";

/// @title GradchainLedger
/// @notice Proof-of-useful-work ledger: escrowed training jobs, staked workers and verifiers, claims settled by
///         EIP-712 attestations, and a hash-linked chain of model heads. See contracts/README.md.
/// @dev Storage is packed for gas: amounts are uint96 (2^96 wei is about 7.9e10 ETH, far above the ETH
///      supply), blocks uint40, job ids and rounds uint32 (SafeCast or a prior check guards every narrowing). Votes are 32-bit
///      entries (account index, approve) so three fit in the claim's own slot. The ETH held always equals
///      totalEscrow() + totalCredits() + totalStakes(); reservations of pending claims count inside totalEscrow.
contract GradchainLedger is IGradchainLedger, LedgerStorage, EIP712, ReentrancyGuardTransient {
    using SafeCast for uint256;

    // ---------------------------------------------------------------------------------------------
    // Constants
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IGradchainLedger
    uint64 public constant SEED_DELAY = 2;
    /// @inheritdoc IGradchainLedger
    uint32 public constant MAX_VERIFY_WINDOW = 200;
    /// @inheritdoc IGradchainLedger
    uint32 public constant MAX_VOTES_PER_CLAIM = 16;

    /// @dev keccak256 of the EIP-712 type string of Attestation.
    bytes32 private constant _ATTESTATION_TYPEHASH =
        keccak256("Attestation(uint256 claimId,bool approve,bytes32 transcriptRoot,bytes32 seed)");

    /// @dev Votes kept inside the Claim slot; the rest go to _extraVotes, 8 per slot.
    uint256 private constant _INLINE_VOTES = 3;
    uint256 private constant _VOTES_PER_SLOT = 8;
    /// @dev Account indices must leave bit 0 of a vote entry free.
    uint32 private constant _MAX_ACCOUNT_INDEX = type(uint32).max >> 1;

    /// @inheritdoc IGradchainLedger
    uint64 public immutable unbondingDelay;

    /// @dev LedgerRounds, deployed by the constructor: the code of createJob, fund, withdrawEscrow, proposeHead,
    ///      attestHead and finalizeHead, run by delegatecall on this contract's storage. Split out only to keep
    ///      this contract under the EIP-170 code-size limit (24,576 bytes) at optimizer_runs = 10000; none of
    ///      the gas-targeted calls goes through it.
    address private immutable _ROUNDS;

    /// @param unbondingDelayBlocks Blocks an unstake request waits before withdrawStake.
    constructor(uint64 unbondingDelayBlocks) EIP712("gradchain", "1") {
        unbondingDelay = unbondingDelayBlocks;
        _ROUNDS = address(new LedgerRounds());
    }

    // ---------------------------------------------------------------------------------------------
    // Jobs and escrow
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IGradchainLedger
    function createJob(JobParams calldata p) external payable returns (uint256 jobId) {
        (p, jobId); // named for the ABI; the body runs in LedgerRounds
        _delegateToRounds();
    }

    /// @inheritdoc IGradchainLedger
    function fund(uint256 jobId) external payable {
        jobId; // named for the ABI; the body runs in LedgerRounds
        _delegateToRounds();
    }

    /// @inheritdoc IGradchainLedger
    function withdrawEscrow(uint256 jobId, uint256 amount) external {
        (jobId, amount); // named for the ABI; the body runs in LedgerRounds
        _delegateToRounds();
    }

    // ---------------------------------------------------------------------------------------------
    // Stakes
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IGradchainLedger
    function stake(uint8 role) external payable {
        Role r = _role(role);
        if (msg.value == 0) revert ZeroAmount();
        StakeRecord storage s = _stakes[msg.sender][r];
        uint32 index = s.accountIndex;
        if (index == 0) {
            index = _indexOrAssign(msg.sender);
            s.accountIndex = index;
        }
        uint256 newActive = uint256(s.active) + msg.value;
        s.active = newActive.toUint96();
        _totalStakes = (uint256(_totalStakes) + msg.value).toUint80();
        emit Staked(msg.sender, r, msg.value, newActive, index);
    }

    /// @inheritdoc IGradchainLedger
    function requestUnstake(uint8 role, uint256 amount) external {
        Role r = _role(role);
        if (amount == 0) revert ZeroAmount();
        StakeRecord storage s = _stakes[msg.sender][r];
        if (s.openLocks != 0) revert StakeLocked(msg.sender, r, s.openLocks);
        uint256 active = s.active;
        if (amount > active) revert InsufficientStake(msg.sender, r, amount, active);
        uint256 newUnbonding = uint256(s.unbonding) + amount; // <= total stake of the record, fits uint96
        uint64 unlockBlock = uint64(block.number) + unbondingDelay;
        // amount <= active, checked above.
        unchecked {
            s.active = uint96(active - amount);
        }
        s.unbonding = uint96(newUnbonding);
        s.unlockBlock = unlockBlock;
        emit UnstakeRequested(msg.sender, r, amount, active - amount, newUnbonding, unlockBlock);
    }

    /// @inheritdoc IGradchainLedger
    function withdrawStake(uint8 role) external nonReentrant {
        Role r = _role(role);
        StakeRecord storage s = _stakes[msg.sender][r];
        uint256 amount = s.unbonding;
        if (amount == 0) revert NothingUnbonding(msg.sender, r);
        if (block.number < s.unlockBlock) revert StakeStillBonded(s.unlockBlock, block.number);
        s.unbonding = 0;
        s.unlockBlock = 0;
        // The record's unbonding stake is part of _totalStakes.
        unchecked {
            _totalStakes -= uint80(amount);
        }
        emit StakeWithdrawn(msg.sender, r, amount);
        _send(msg.sender, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Claims
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IGradchainLedger
    function submitClaim(
        uint256 jobId,
        uint64 round,
        bytes32 base,
        bytes32 result,
        bytes32 transcriptRoot,
        uint32 steps,
        string calldata artifactURI
    ) external returns (uint256 claimId) {
        claimId = _openClaim(jobId, round, base, result, transcriptRoot);
        emit ClaimSubmitted(
            claimId, jobId, round, msg.sender, base, result, transcriptRoot, steps, artifactURI, uint64(block.number)
        );
    }

    /// @inheritdoc IGradchainLedger
    function attest(uint256 claimId, bool approve, bytes32 seed) external {
        _castVote(claimId, msg.sender, approve, seed);
    }

    /// @inheritdoc IGradchainLedger
    function attestBatch(Attestation[] calldata atts, bytes[] calldata signatures) external {
        uint256 n = atts.length;
        if (n != signatures.length) revert LengthMismatch(n, signatures.length);
        for (uint256 i; i < n; ++i) {
            Attestation calldata a = atts[i];
            address verifier = _recoverCalldata(_attestationDigest(a), signatures[i]);
            _castVote(a.claimId, verifier, a.approve, a.seed);
            // After _castVote, which has shown the claim exists and is pending.
            _checkTranscriptRoot(a.claimId, a.transcriptRoot);
        }
    }

    /// @inheritdoc IGradchainLedger
    function finalizeClaim(uint256 claimId) external {
        Claim storage cs = _claims[claimId];
        Claim memory c = cs;
        if (c.status != ClaimStatus.Pending) _revertNotPending(claimId, c.status);
        Job storage j = _jobs[c.jobId];

        uint256 deadline = uint256(c.submitBlock) + SEED_DELAY + j.verifyWindow;
        if (uint256(c.approvals) + c.rejections < j.maxVotes && block.number <= deadline) {
            revert VotingStillOpen(deadline, block.number);
        }
        ClaimStatus status = ClaimStatus(LedgerRules.outcome(c.approvals, c.rejections, j.quorum));
        cs.status = status;
        emit ClaimFinalized(claimId, c.jobId, c.round, status, c.approvals, c.rejections);

        Settlement memory s;
        s.claimId = claimId;
        s.status = status;
        s.fee = j.verifierFee;
        s.verifierSlash = j.verifierSlash;
        if (status == ClaimStatus.Accepted) s.winners = c.approvals;
        else if (status == ClaimStatus.Rejected) s.winners = c.rejections;

        _settleWorker(c, j, s);
        _settleVoters(_loadVotes(claimId, c.votes, uint256(c.approvals) + c.rejections), s);
        _closeClaim(c, j, s);
    }

    // ---------------------------------------------------------------------------------------------
    // Heads
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IGradchainLedger
    function proposeHead(uint256 jobId, uint64 round, bytes32 newHead, bytes32 acceptedClaimsRoot)
        external
        returns (uint256 proposalId)
    {
        (jobId, round, newHead, acceptedClaimsRoot, proposalId); // named for the ABI; runs in LedgerRounds
        _delegateToRounds();
    }

    /// @inheritdoc IGradchainLedger
    function attestHead(uint256 proposalId, bool approve) external {
        (proposalId, approve); // named for the ABI; the body runs in LedgerRounds
        _delegateToRounds();
    }

    /// @inheritdoc IGradchainLedger
    function finalizeHead(uint256 proposalId) external {
        proposalId; // named for the ABI; the body runs in LedgerRounds
        _delegateToRounds();
    }

    // ---------------------------------------------------------------------------------------------
    // Payments
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IGradchainLedger
    function withdraw() external nonReentrant {
        StakeRecord storage w = _stakes[msg.sender][Role.Worker];
        StakeRecord storage v = _stakes[msg.sender][Role.Verifier];
        uint256 amount = uint256(w.credit) + v.credit;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        w.credit = 0;
        v.credit = 0;
        // Every credit is counted in _totalCredits.
        unchecked {
            _totalCredits -= uint88(amount);
        }
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IGradchainLedger
    function stakeOf(address account, uint8 role)
        external
        view
        returns (uint256 active, uint256 unbonding, uint64 unlockBlock, uint32 openLocks)
    {
        StakeRecord storage s = _stakes[account][_role(role)];
        return (s.active, s.unbonding, s.unlockBlock, s.openLocks);
    }

    /// @inheritdoc IGradchainLedger
    function creditOf(address account) external view returns (uint256) {
        return uint256(_stakes[account][Role.Worker].credit) + _stakes[account][Role.Verifier].credit;
    }

    /// @inheritdoc IGradchainLedger
    function getJob(uint256 jobId) external view returns (JobView memory v) {
        Job storage j = _existingJob(jobId);
        v.owner = j.owner;
        v.params = JobParams({
            specHash: j.specHash,
            genesisHead: j.genesisHead,
            rewardPerClaim: j.rewardPerClaim,
            verifierFee: j.verifierFee,
            quorum: j.quorum,
            maxVotes: j.maxVotes,
            submitWindow: j.submitWindow,
            verifyWindow: j.verifyWindow,
            minWorkerStake: j.minWorkerStake,
            minVerifierStake: j.minVerifierStake,
            workerSlash: j.workerSlash,
            verifierSlash: j.verifierSlash
        });
        v.escrow = j.escrow;
        v.reserved = uint256(j.openClaims) * LedgerRules.reservation(j.rewardPerClaim, j.verifierFee, j.maxVotes);
        v.round = j.round;
        v.roundStart = j.roundStart;
        v.head = _rounds[jobId][j.round].head;
        v.openClaims = j.openClaims;
        v.pendingProposal = j.pendingProposal;
    }

    /// @inheritdoc IGradchainLedger
    function getClaim(uint256 claimId) external view returns (ClaimView memory v) {
        Claim memory c = _claims[claimId];
        if (c.status == ClaimStatus.None) revert ClaimNotFound(claimId);
        ClaimData storage data = _claimData[_claimKey(c.jobId, c.round, c.workerIndex)];
        v.jobId = c.jobId;
        v.round = c.round;
        v.worker = _accountAt[c.workerIndex];
        v.base = _rounds[c.jobId][c.round].head;
        v.result = data.result;
        v.transcriptRoot = data.transcriptRoot;
        v.submitBlock = c.submitBlock;
        v.seedBlock = c.submitBlock + SEED_DELAY;
        v.deadline = v.seedBlock + _jobs[c.jobId].verifyWindow;
        v.status = c.status;
        v.approvals = c.approvals;
        v.rejections = c.rejections;
    }

    /// @inheritdoc IGradchainLedger
    function votesOf(uint256 claimId) external view returns (address[] memory voters, bool[] memory approves) {
        Claim memory c = _claims[claimId];
        if (c.status == ClaimStatus.None) revert ClaimNotFound(claimId);
        return _decodeVotes(_loadVotes(claimId, c.votes, uint256(c.approvals) + c.rejections));
    }

    /// @inheritdoc IGradchainLedger
    function getProposal(uint256 proposalId) external view returns (ProposalView memory v) {
        Proposal storage p = _proposals[proposalId];
        if (p.status == ProposalStatus.None) revert ProposalNotFound(proposalId);
        v.jobId = p.jobId;
        v.round = p.round;
        v.proposer = p.proposer;
        v.parent = p.parent;
        v.newHead = p.newHead;
        v.proposeBlock = p.proposeBlock;
        v.deadline = p.proposeBlock + uint64(_jobs[p.jobId].verifyWindow);
        v.status = p.status;
        v.approvals = p.approvals;
        v.rejections = p.rejections;
    }

    /// @inheritdoc IGradchainLedger
    function claimSeed(uint256 claimId) external view returns (bytes32) {
        Claim storage c = _claims[claimId];
        if (c.status == ClaimStatus.None) revert ClaimNotFound(claimId);
        return _seedOf(c.submitBlock);
    }

    /// @inheritdoc IGradchainLedger
    function attestationDigest(Attestation calldata att) external view returns (bytes32) {
        return _attestationDigest(att);
    }

    /// @inheritdoc IGradchainLedger
    function roundInfo(uint256 jobId, uint64 round)
        external
        view
        returns (uint64 startBlock, bytes32 head, uint32 openClaims, uint32 acceptedCount, bytes32 acceptedAcc)
    {
        Job storage j = _existingJob(jobId);
        if (round > j.round) revert RoundNotStarted(jobId, round, j.round);
        Round storage rd = _rounds[jobId][round];
        bool current = round == j.round;
        return (
            rd.startBlock,
            rd.head,
            current ? j.openClaims : 0,
            current ? j.acceptedCount : rd.acceptedCount,
            _accOf(jobId, round)
        );
    }

    /// @inheritdoc IGradchainLedger
    function totalEscrow() external view returns (uint256) {
        return _totalEscrow;
    }

    /// @inheritdoc IGradchainLedger
    function totalCredits() external view returns (uint256) {
        return _totalCredits;
    }

    /// @inheritdoc IGradchainLedger
    function totalStakes() external view returns (uint256) {
        return _totalStakes;
    }

    /// @inheritdoc IGradchainLedger
    function counters() external view returns (uint256 lastJobId, uint256 lastClaimId, uint256 lastProposalId) {
        return (_lastJobId, _lastClaimId, _lastProposalId);
    }

    // ---------------------------------------------------------------------------------------------
    // Internal: votes
    // ---------------------------------------------------------------------------------------------

    /// @dev Every rule of submitClaim except the event: checks, escrow reservation, stake lock, storage.
    function _openClaim(uint256 jobId, uint64 round, bytes32 base, bytes32 result, bytes32 transcriptRoot)
        private
        returns (uint256 claimId)
    {
        Job storage j = _existingJob(jobId);
        uint256 currentRound = j.round;
        if (round != currentRound) revert WrongRound(currentRound, round);
        {
            uint256 closesAt = uint256(j.roundStart) + j.submitWindow;
            if (block.number >= closesAt) revert SubmissionWindowClosed(closesAt, block.number);
            bytes32 head = _rounds[jobId][currentRound].head;
            if (base != head) revert WrongBase(head, base);
            if (result == bytes32(0)) revert ZeroHash();
        }

        StakeRecord storage w = _stakes[msg.sender][Role.Worker];
        _requireStake(w, msg.sender, Role.Worker, j.minWorkerStake);
        uint32 workerIndex = w.accountIndex;

        ClaimData storage data = _claimData[_claimKey(jobId, currentRound, workerIndex)];
        if (data.result != bytes32(0)) revert AlreadyClaimed(jobId, round, msg.sender);

        {
            uint256 reserve = LedgerRules.reservation(j.rewardPerClaim, j.verifierFee, j.maxVotes);
            uint256 available = j.escrow;
            if (available < reserve) revert InsufficientEscrow(jobId, available, reserve);
            // reserve <= available (checked above); open claims of a job are all in its current round, one per
            // worker, so openClaims < 2^31 accounts; worker locks likewise; one claim id per transaction.
            unchecked {
                j.escrow = uint96(available - reserve);
                j.openClaims += 1;
                w.openLocks += 1;
                claimId = uint256(_lastClaimId) + 1;
            }
        }
        _lastClaimId = uint64(claimId);

        _claims[claimId] = Claim({
            workerIndex: workerIndex,
            jobId: uint32(jobId), // job ids are uint32 (createJob)
            round: uint32(currentRound),
            submitBlock: uint40(block.number),
            status: ClaimStatus.Pending,
            approvals: 0,
            rejections: 0,
            votes: 0
        });
        data.result = result;
        data.transcriptRoot = transcriptRoot;
    }

    /// @dev Record `verifier`'s vote on a claim after every rule of attest.
    function _castVote(uint256 claimId, address verifier, bool approve, bytes32 seed) private {
        Claim storage cs = _claims[claimId];
        Claim memory c = cs;
        if (c.status != ClaimStatus.Pending) _revertNotPending(claimId, c.status);
        Job storage j = _jobs[c.jobId];

        StakeRecord storage v = _stakes[verifier][Role.Verifier];
        _requireStake(v, verifier, Role.Verifier, j.minVerifierStake);
        uint32 index = v.accountIndex;
        if (index == c.workerIndex) revert SelfAttestation(claimId, verifier);

        _checkVoteWindowAndSeed(c.submitBlock, j.verifyWindow, seed);

        uint256 n = uint256(c.approvals) + c.rejections;
        if (n >= j.maxVotes) revert VoteLimitReached(claimId, j.maxVotes);
        uint96 packed = c.votes;
        if (_hasVoted(claimId, packed, n, index)) revert AlreadyVoted(claimId, verifier);
        _storeVote(cs, claimId, packed, n, LedgerRules.packVote(index, approve));

        // n < maxVotes <= 16: the uint8 counters cannot overflow; locks are bounded by the open claims and
        // proposals an account votes on.
        unchecked {
            if (approve) cs.approvals = c.approvals + 1;
            else cs.rejections = c.rejections + 1;
            v.openLocks += 1;
        }
        emit Attested(claimId, verifier, approve, seed);
    }

    /// @dev A relayed vote must name the claim's transcript root.
    function _checkTranscriptRoot(uint256 claimId, bytes32 transcriptRoot) private view {
        Claim storage c = _claims[claimId];
        bytes32 root = _claimData[_claimKey(c.jobId, c.round, c.workerIndex)].transcriptRoot;
        if (transcriptRoot != root) revert TranscriptMismatch(claimId, root, transcriptRoot);
    }

    /// @dev Write vote entry number `n` (0-based): the first three inline in the claim slot, then 8 per slot.
    function _storeVote(Claim storage cs, uint256 claimId, uint96 packed, uint256 n, uint32 entry) private {
        // n < maxVotes <= 16, so shifts stay below 256 bits and k / 8 <= 1.
        unchecked {
            if (n < _INLINE_VOTES) {
                cs.votes = packed | uint96(uint256(entry) << (32 * n));
            } else {
                uint256 k = n - _INLINE_VOTES;
                _extraVotes[claimId][k / _VOTES_PER_SLOT] |= uint256(entry) << (32 * (k % _VOTES_PER_SLOT));
            }
        }
    }

    /// @dev Votes open after the seed block and close after seedBlock + verifyWindow; the seed must be the
    ///      seed block's hash (still available: verifyWindow <= MAX_VERIFY_WINDOW < 256).
    function _checkVoteWindowAndSeed(uint40 submitBlock, uint16 verifyWindow, bytes32 seed) private view {
        uint256 seedBlock = uint256(submitBlock) + SEED_DELAY;
        if (block.number <= seedBlock) revert SeedNotYetAvailable(seedBlock, block.number);
        uint256 deadline = seedBlock + verifyWindow;
        if (block.number > deadline) revert VotingClosed(deadline, block.number);
        bytes32 expected = blockhash(seedBlock);
        if (seed != expected) revert WrongSeed(expected, seed);
    }

    /// @dev Whether account `index` is among the first `n` voters of a claim (inline entries, then overflow slots).
    function _hasVoted(uint256 claimId, uint96 packed, uint256 n, uint32 index) private view returns (bool) {
        for (uint256 i; i < n && i < _INLINE_VOTES; ++i) {
            if (((packed >> (32 * i)) & 0xffffffff) >> 1 == index) return true;
        }
        if (n > _INLINE_VOTES) {
            uint256[2] storage extra = _extraVotes[claimId];
            for (uint256 i = _INLINE_VOTES; i < n; ++i) {
                uint256 k = i - _INLINE_VOTES;
                uint256 word = extra[k / _VOTES_PER_SLOT];
                if (((word >> (32 * (k % _VOTES_PER_SLOT))) & 0xffffffff) >> 1 == index) return true;
            }
        }
        return false;
    }

    /// @dev The `n` packed vote entries of a claim in casting order.
    function _loadVotes(uint256 claimId, uint96 packed, uint256 n) private view returns (uint256[] memory entries) {
        entries = new uint256[](n);
        uint256 word;
        for (uint256 i; i < n; ++i) {
            if (i < _INLINE_VOTES) {
                entries[i] = (packed >> (32 * i)) & 0xffffffff;
            } else {
                uint256 k = i - _INLINE_VOTES;
                if (k % _VOTES_PER_SLOT == 0) word = _extraVotes[claimId][k / _VOTES_PER_SLOT];
                entries[i] = (word >> (32 * (k % _VOTES_PER_SLOT))) & 0xffffffff;
            }
        }
    }

    function _decodeVotes(uint256[] memory entries)
        private
        view
        returns (address[] memory voters, bool[] memory approves)
    {
        voters = new address[](entries.length);
        approves = new bool[](entries.length);
        for (uint256 i; i < entries.length; ++i) {
            (uint32 index, bool approve) = LedgerRules.unpackVote(entries[i]);
            voters[i] = _accountAt[index];
            approves[i] = approve;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Internal: settlement
    // ---------------------------------------------------------------------------------------------

    /// @dev Running figures of one claim's settlement.
    struct Settlement {
        uint256 claimId;
        ClaimStatus status;
        uint256 fee;
        uint256 verifierSlash;
        uint256 winners;
        uint256 reward; // credited to the worker (Accepted only)
        uint256 slashed; // taken from stakes: worker and losing verifiers
        uint256 share; // slash share per winning verifier
        uint256 dust; // slashed - share * winners, back to escrow
    }

    /// @dev Return the unused reservation and the slash dust to the job, fold an accepted result into the
    ///      round's accumulator, and move the totals.
    function _closeClaim(Claim memory c, Job storage j, Settlement memory s) private {
        uint256 reserve = LedgerRules.reservation(j.rewardPerClaim, s.fee, j.maxVotes);
        // paidFromEscrow = reward (if accepted) + fee * winners <= reward + fee * maxVotes = reserve.
        uint256 paidFromEscrow = s.reward + s.fee * s.winners;
        uint256 released = reserve - paidFromEscrow + s.dust;
        uint256 newEscrow = uint256(j.escrow) + released;
        j.escrow = newEscrow.toUint96();
        // This claim was open, so openClaims >= 1.
        unchecked {
            j.openClaims -= 1;
        }
        if (s.status == ClaimStatus.Accepted) {
            j.acceptedCount += 1;
            Round storage rd = _rounds[c.jobId][c.round];
            bytes32 result = _claimData[_claimKey(c.jobId, c.round, c.workerIndex)].result;
            bytes32 acc = keccak256(abi.encode(rd.accMasked ^ _ACC_MASK, s.claimId, result));
            rd.accMasked = acc ^ _ACC_MASK;
        }
        // Escrow pays out paidFromEscrow (counted in _totalEscrow as reservation) and gains the dust; credits
        // gain the payouts plus the distributed slash shares; stakes lose what was slashed. The sum is unchanged.
        _totalEscrow = _totalEscrow + uint88(s.dust) - uint88(paidFromEscrow);
        uint256 credited = paidFromEscrow + s.slashed - s.dust;
        if (credited != 0) _totalCredits += uint88(credited);
        if (s.slashed != 0) _totalStakes -= uint80(s.slashed);
        emit EscrowReleased(c.jobId, s.claimId, released, newEscrow);
    }

    /// @dev Unlock the worker; credit its reward (Accepted) or slash it (Rejected).
    function _settleWorker(Claim memory c, Job storage j, Settlement memory s) private {
        address worker = _accountAt[c.workerIndex];
        StakeRecord storage w = _stakes[worker][Role.Worker];
        // The claim took this lock in submitClaim.
        unchecked {
            w.openLocks -= 1;
        }
        if (s.status == ClaimStatus.Accepted) {
            s.reward = j.rewardPerClaim;
            w.credit = (uint256(w.credit) + s.reward).toUint96();
            emit Credited(worker, s.claimId, s.reward, CreditReason.Reward);
        } else if (s.status == ClaimStatus.Rejected) {
            uint256 cut = _min(j.workerSlash, w.active);
            if (cut != 0) {
                // cut <= active.
                unchecked {
                    w.active -= uint96(cut);
                }
                s.slashed = cut;
                emit Slashed(worker, Role.Worker, s.claimId, cut);
            }
        }
    }

    /// @dev Slash and unlock the losing voters, then credit fee and slash share to the winners and unlock them.
    function _settleVoters(uint256[] memory entries, Settlement memory s) private {
        uint256 n = entries.length;
        bool acceptWins = s.status == ClaimStatus.Accepted;
        bool decided = s.status != ClaimStatus.Expired;
        address[] memory voters = new address[](n);
        for (uint256 i; i < n; ++i) {
            (uint32 index, bool approve) = LedgerRules.unpackVote(entries[i]);
            address voter = _accountAt[index];
            voters[i] = voter;
            if (decided && approve == acceptWins) continue; // winner: settled in the second pass
            StakeRecord storage v = _stakes[voter][Role.Verifier];
            unchecked {
                v.openLocks -= 1; // taken in _castVote
            }
            if (decided) {
                uint256 cut = _min(s.verifierSlash, v.active);
                if (cut != 0) {
                    unchecked {
                        v.active -= uint96(cut); // cut <= active
                        s.slashed += cut; // bounded by the stakes, far below 2^256
                    }
                    emit Slashed(voter, Role.Verifier, s.claimId, cut);
                }
            }
        }
        if (!decided) return;
        (s.share, s.dust) = LedgerRules.splitSlash(s.slashed, s.winners);
        uint256 credit = s.fee + s.share;
        for (uint256 i; i < n; ++i) {
            if ((entries[i] & 1 == 1) != acceptWins) continue; // loser, settled in the first pass
            address voter = voters[i];
            StakeRecord storage v = _stakes[voter][Role.Verifier];
            unchecked {
                v.openLocks -= 1; // taken in _castVote
            }
            if (credit != 0) v.credit = (uint256(v.credit) + credit).toUint96();
            if (s.fee != 0) emit Credited(voter, s.claimId, s.fee, CreditReason.Fee);
            if (s.share != 0) emit Credited(voter, s.claimId, s.share, CreditReason.SlashShare);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Internal: helpers
    // ---------------------------------------------------------------------------------------------

    function _role(uint8 role) private pure returns (Role) {
        if (role != uint8(Role.Worker) && role != uint8(Role.Verifier)) revert InvalidRole(role);
        return Role(role);
    }

    function _indexOrAssign(address account) private returns (uint32 index) {
        index = _accountIndex[account];
        if (index == 0) {
            if (_lastAccountIndex >= _MAX_ACCOUNT_INDEX) revert TooManyAccounts();
            index = _lastAccountIndex + 1;
            _lastAccountIndex = index;
            _accountIndex[account] = index;
            _accountAt[index] = account;
        }
    }

    function _claimKey(uint256 jobId, uint256 round, uint32 workerIndex) private pure returns (bytes32) {
        return keccak256(abi.encode(jobId, round, workerIndex));
    }

    function _seedOf(uint40 submitBlock) private view returns (bytes32) {
        uint256 seedBlock = uint256(submitBlock) + SEED_DELAY;
        if (block.number <= seedBlock) revert SeedNotYetAvailable(seedBlock, block.number);
        if (block.number - seedBlock > 256) revert SeedNoLongerAvailable(seedBlock, block.number);
        return blockhash(seedBlock);
    }

    function _attestationDigest(Attestation calldata a) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(_ATTESTATION_TYPEHASH, a.claimId, a.approve, a.transcriptRoot, a.seed))
        );
    }

    /// @dev ECDSA.recover on a calldata signature without copying it to memory. Only 65-byte (r, s, v)
    ///      signatures are accepted, as eth-account produces.
    function _recoverCalldata(bytes32 digest, bytes calldata sig) private pure returns (address) {
        if (sig.length != 65) revert ECDSA.ECDSAInvalidSignatureLength(sig.length);
        return ECDSA.recover(digest, uint8(sig[64]), bytes32(sig[0:32]), bytes32(sig[32:64]));
    }

    function _revertNotPending(uint256 claimId, ClaimStatus status) private pure {
        if (status == ClaimStatus.None) revert ClaimNotFound(claimId);
        revert ClaimNotPending(claimId, status);
    }

    /// @dev Run the current call's function in LedgerRounds on this contract's storage and return its result or
    ///      revert data unchanged. The calldata was already ABI-decoded by the stub, so it is well formed.
    function _delegateToRounds() private {
        address target = _ROUNDS;
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), target, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
