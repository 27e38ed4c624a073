// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ILedgerV2} from "./ILedgerV2.sol";
import {LedgerV2Rules} from "./LedgerV2Rules.sol";
import {LedgerV2Storage} from "./LedgerV2Storage.sol";

/// @title LedgerV2
/// @notice The gradchain v2 ledger (PROTOCOL.md v2 section 4; contracts/v2.md). This contract holds all funds
///         and storage; job, head and dispute functions run in two modules by delegatecall (EIP-170).
/// @dev ETH held == totalEscrow() + totalCredits() + totalStakes() after every call.
contract LedgerV2 is ILedgerV2, LedgerV2Storage, EIP712, ReentrancyGuardTransient {
    /// @inheritdoc ILedgerV2
    uint64 public constant SEED_DELAY = _SEED_DELAY;

    bytes32 private constant _APPROVAL_TYPEHASH = keccak256("Approval(uint256 claimId,bytes32 transcriptRoot,bytes32 seed)");

    /// @inheritdoc ILedgerV2
    uint64 public immutable unbondingDelay;
    uint96 private immutable _SEAT_STAKE;
    /// @dev createJob, fund, withdrawEscrow, proposeHead, finalizeHead.
    address private immutable _JOBS;
    /// @dev challenge, commitVerdict, revealVerdict, resolveDispute, challengeHead.
    address private immutable _DISPUTES;
    /// @dev The struct-returning views.
    address private immutable _VIEWS;

    /// @notice The three modules are deployed first (LedgerV2Jobs, LedgerV2Disputes, LedgerV2Views: no
    ///         constructor arguments, no storage of their own); the ledger alone with all three would exceed the
    ///         EIP-3860 initcode limit. See contracts/v2.md, Deploying.
    /// @param unbondingDelayBlocks Blocks an unstake request waits before withdrawStake.
    /// @param seatStakeWei Verifier stake that holds a seat (> 0).
    /// @param jobs LedgerV2Jobs.
    /// @param disputes LedgerV2Disputes.
    /// @param views LedgerV2Views.
    constructor(uint64 unbondingDelayBlocks, uint96 seatStakeWei, address jobs, address disputes, address views)
        EIP712("gradchain", "2")
    {
        if (seatStakeWei == 0) revert ZeroAmount();
        if (jobs.code.length == 0 || disputes.code.length == 0 || views.code.length == 0) revert ModuleMissing();
        unbondingDelay = unbondingDelayBlocks;
        _unbondingDelay = unbondingDelayBlocks;
        _SEAT_STAKE = seatStakeWei;
        _seatStakeWei = seatStakeWei;
        _JOBS = jobs;
        _DISPUTES = disputes;
        _VIEWS = views;
    }

    /// @inheritdoc ILedgerV2
    function seatStake() external view returns (uint256) {
        return _SEAT_STAKE;
    }

    /// @inheritdoc ILedgerV2
    function delegateView(bytes calldata data) external {
        if (msg.sender != address(this)) revert NotSelf(msg.sender);
        address module = _VIEWS;
        assembly {
            calldatacopy(0, data.offset, data.length)
            let ok := delegatecall(gas(), module, 0, data.length, 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @dev Run this call's calldata in LedgerV2Views under a staticcall to delegateView (views cannot delegatecall).
    function _view() private view {
        (bool ok, bytes memory ret) = address(this).staticcall(abi.encodeCall(this.delegateView, (msg.data)));
        assembly {
            if iszero(ok) { revert(add(ret, 0x20), mload(ret)) }
            return(add(ret, 0x20), mload(ret))
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Module stubs (named for the ABI; bodies run by delegatecall)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILedgerV2
    function createJob(JobParams calldata p) external payable returns (uint256 jobId) {
        (p, jobId);
        _delegate(_JOBS);
    }

    /// @inheritdoc ILedgerV2
    function fund(uint256 jobId) external payable {
        jobId;
        _delegate(_JOBS);
    }

    /// @inheritdoc ILedgerV2
    function withdrawEscrow(uint256 jobId, uint256 amount) external {
        (jobId, amount);
        _delegate(_JOBS);
    }

    /// @inheritdoc ILedgerV2
    function proposeHead(uint256 jobId, uint64 round, bytes32 newHead, bytes32 acceptedClaimsRoot)
        external
        returns (uint256 proposalId)
    {
        (jobId, round, newHead, acceptedClaimsRoot, proposalId);
        _delegate(_JOBS);
    }

    /// @inheritdoc ILedgerV2
    function finalizeHead(uint256 proposalId) external {
        proposalId;
        _delegate(_JOBS);
    }

    /// @inheritdoc ILedgerV2
    function challenge(
        uint256 claimId,
        uint256[] calldata segments,
        address[] calldata approvers,
        uint256[] calldata drawIndices
    ) external returns (uint256 disputeId) {
        (claimId, segments, approvers, drawIndices, disputeId);
        _delegate(_DISPUTES);
    }

    /// @inheritdoc ILedgerV2
    function challengeHead(uint256 proposalId) external returns (uint256 disputeId) {
        (proposalId, disputeId);
        _delegate(_DISPUTES);
    }

    /// @inheritdoc ILedgerV2
    function commitVerdict(uint256 disputeId, bytes32 commitment) external {
        (disputeId, commitment);
        _delegate(_DISPUTES);
    }

    /// @inheritdoc ILedgerV2
    function revealVerdict(uint256 disputeId, uint256 verdicts, bytes32 salt) external {
        (disputeId, verdicts, salt);
        _delegate(_DISPUTES);
    }

    /// @inheritdoc ILedgerV2
    function resolveDispute(uint256 disputeId) external {
        disputeId;
        _delegate(_DISPUTES);
    }

    function _delegate(address module) private {
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Stakes and seats
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILedgerV2
    function stake(uint8 role) external payable {
        role;
        _delegate(_JOBS);
    }

    /// @inheritdoc ILedgerV2
    function requestUnstake(uint8 role, uint256 amount) external {
        (role, amount);
        _delegate(_JOBS);
    }

    /// @inheritdoc ILedgerV2
    function withdrawStake(uint8 role) external {
        role;
        _delegate(_JOBS);
    }

    // ---------------------------------------------------------------------------------------------
    // Claims
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILedgerV2
    function submitClaim(
        uint256 jobId,
        uint64 round,
        bytes32 base,
        bytes32 result,
        bytes32 transcriptRoot,
        uint32 steps,
        string calldata artifactURI
    ) external returns (uint256 claimId) {
        uint256 segments = _checkSubmission(jobId, round, base, result, steps);
        uint256 seats;
        (claimId, seats) = _openClaim(jobId, round, result, transcriptRoot, segments);
        emit ClaimSubmitted(
            claimId, jobId, round, msg.sender, base, result, transcriptRoot, steps, artifactURI, uint64(block.number), seats
        );
    }

    /// @dev Round, base, window, result and steps of a submission; returns S.
    function _checkSubmission(uint256 jobId, uint64 round, bytes32 base, bytes32 result, uint32 steps)
        private
        view
        returns (uint256 segments)
    {
        Job storage j = _existingJob(jobId);
        Params storage p = _params[jobId];
        uint256 current = j.round;
        if (round != current) revert WrongRound(jobId, round, current);
        bytes32 head = _rounds[jobId][round].head;
        if (base != head) revert WrongBase(base, head);
        uint256 deadline = uint256(j.roundStart) + p.submitWindow;
        if (block.number >= deadline) revert SubmitWindowClosed(jobId, deadline, block.number);
        if (result == 0) revert ZeroResult();
        uint256 k = p.checkpointEvery;
        segments = steps / k;
        if (steps == 0 || segments * k != steps || segments > _MAX_SEGMENTS) revert InvalidSteps(steps, k);
    }

    /// @dev Cap, duplicate, claim bond and reservation; writes the claim.
    function _openClaim(uint256 jobId, uint64 round, bytes32 result, bytes32 transcriptRoot, uint256 segments)
        private
        returns (uint256 claimId, uint256 seats)
    {
        Job storage j = _jobs[jobId];
        Params storage p = _params[jobId];
        // Slot 0 alone (a memory copy of the struct would also read the cold pendingProposal slot).
        uint256 escrow = j.escrow;
        if (j.roundClaims >= p.maxClaimsPerRound) revert RoundFull(jobId, round, p.maxClaimsPerRound);
        uint32 workerIndex = _accountIndex[msg.sender];
        ClaimData storage cd = _claimData[_claimKey(jobId, round, workerIndex)];
        if (cd.result != 0) revert DuplicateClaim(jobId, round, msg.sender);
        _lockBond(msg.sender, Role.Worker, p.claimBond);
        uint256 reserve = LedgerV2Rules.reservation(p.rewardPerClaim, p.approvalFee, p.committeeSize);
        if (escrow < reserve) revert InsufficientEscrow(jobId, reserve, escrow);
        j.escrow = uint88(escrow - reserve);
        j.reserved += uint88(reserve); // reserved + escrow <= total escrow < 2^88
        j.openClaims += 1;
        j.roundClaims += 1;
        claimId = ++_lastClaimId;
        seats = _seatTotal;
        _claims[claimId] = Claim({
            workerIndex: workerIndex,
            jobId: uint32(jobId),
            round: uint32(round),
            submitBlock: uint40(block.number),
            seatCount: uint32(seats),
            segments: uint16(segments),
            approvedMask: 0,
            status: ClaimStatus.Pending,
            disputeId: 0,
            spare: 0
        });
        cd.result = result;
        cd.transcriptRoot = transcriptRoot;
    }

    /// @inheritdoc ILedgerV2
    function approve(uint256 claimId) external {
        (Claim memory c, uint256[] memory seats) = _approvalContext(claimId);
        _approveAs(claimId, c, seats, msg.sender, false);
    }

    /// @inheritdoc ILedgerV2
    function approveBySig(uint256 claimId, bytes calldata signature) external {
        (Claim memory c, uint256[] memory seats) = _approvalContext(claimId);
        _approveAs(claimId, c, seats, _recover(_approvalDigest(claimId, c), signature), false);
    }

    /// @inheritdoc ILedgerV2
    function approveBatch(uint256[] calldata claimIds, bytes[] calldata signatures) external {
        uint256 n = claimIds.length;
        if (n != signatures.length) revert LengthMismatch(n, signatures.length);
        uint256 current;
        Claim memory c;
        uint256[] memory seats;
        bytes32 digest;
        for (uint256 i; i < n; ++i) {
            uint256 id = claimIds[i];
            if (id != current || i == 0) {
                (c, seats) = _approvalContext(id);
                digest = _approvalDigest(id, c);
                current = id;
            }
            _approveAs(id, c, seats, _recover(digest, signatures[i]), true);
        }
    }

    /// @dev Checks shared by every approval of a claim; returns the claim and its committee.
    function _approvalContext(uint256 claimId) private returns (Claim memory c, uint256[] memory seats) {
        c = _claims[claimId];
        if (c.status != ClaimStatus.Pending) _revertNotPending(claimId, c.status);
        uint256 seedBlock = _seedBlockOf(c);
        uint256 closes = seedBlock + _params[c.jobId].verifyWindow;
        if (block.number <= seedBlock || block.number > closes) {
            revert VotingClosed(claimId, seedBlock, closes, block.number);
        }
        if (c.disputeId != 0) {
            uint256 seal = _sealBlock(_disputes[c.disputeId]);
            if (block.number > seal) revert DisputeSealed(c.disputeId, seal, block.number);
        }
        seats = _committee(claimId, c, _recordSeed(seedBlock));
    }

    /// @dev `inBatch`: an entry whose member already approved is skipped, not reverted on: a member that stopped
    ///      waiting for its relayer and approved directly must not sink the relayer's whole batch.
    function _approveAs(uint256 claimId, Claim memory c, uint256[] memory seats, address member, bool inBatch)
        private
    {
        uint256 pos = _positionOf(seats, member);
        if (pos == type(uint256).max) revert NotCommitteeMember(claimId, member);
        Claim storage cs = _claims[claimId];
        uint256 mask = cs.approvedMask;
        if (mask & (1 << pos) != 0) {
            if (inBatch) return;
            revert AlreadyApproved(claimId, member);
        }
        if (c.disputeId != 0) {
            Challenger[] storage ch = _challengers[c.disputeId];
            for (uint256 i; i < ch.length; ++i) {
                if (ch[i].account == member) revert AlreadyChallenged(claimId, member);
            }
        }
        _lockBond(member, Role.Verifier, _params[c.jobId].approvalBond);
        cs.approvedMask = uint16(mask | (1 << pos));
        emit Approved(claimId, member, seats[pos], pos);
    }

    function _approvalDigest(uint256 claimId, Claim memory c) private view returns (bytes32) {
        bytes32 root = _claimData[_claimKey(c.jobId, c.round, c.workerIndex)].transcriptRoot;
        bytes32 seed = _peekSeed(_seedBlockOf(c));
        return _hashTypedDataV4(keccak256(abi.encode(_APPROVAL_TYPEHASH, claimId, root, seed)));
    }

    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address) {
        if (sig.length != 65) revert ECDSA.ECDSAInvalidSignatureLength(sig.length);
        return ECDSA.recover(digest, uint8(sig[64]), bytes32(sig[0:32]), bytes32(sig[32:64]));
    }

    /// @inheritdoc ILedgerV2
    function finalizeClaim(uint256 claimId) external {
        _finalize(claimId);
    }

    /// @inheritdoc ILedgerV2
    function finalizeClaims(uint256[] calldata claimIds) external {
        for (uint256 i; i < claimIds.length; ++i) {
            _finalize(claimIds[i]);
        }
    }

    function _finalize(uint256 claimId) private {
        Claim storage cs = _claims[claimId];
        Claim memory c = cs;
        if (c.status != ClaimStatus.Pending) _revertNotPending(claimId, c.status);
        Params storage p = _params[c.jobId];
        uint256 seedBlock = _seedBlockOf(c);
        uint256 end = seedBlock + p.verifyWindow + p.challengeWindow;
        if (block.number <= end) revert WindowOpen(end, block.number);
        bool disputed = c.disputeId != 0;
        // A dispute with a fault, or without a verdict, has already closed the claim; one still open blocks.
        if (disputed && _disputes[c.disputeId].status == DisputeStatus.Open) revert DisputeUnresolved(c.disputeId);

        uint256 approvals = LedgerV2Rules.popcount(c.approvedMask);
        bool ok = LedgerV2Rules.accepted(approvals, p.quorum);
        uint256 paid = _settleWorker(claimId, c, p, ok);
        bytes32 seed = _peekSeed(seedBlock);
        // Without a seed nobody could approve (approvals record it): then nobody can be told a miss either.
        if (seed != 0 && (approvals != 0 || !disputed)) paid += _settleMembers(claimId, c, p, ok, disputed, seed);
        if (ok) {
            Round storage r = _rounds[c.jobId][c.round];
            bytes32 result = _claimData[_claimKey(c.jobId, c.round, c.workerIndex)].result;
            r.accumulator = LedgerV2Rules.accumulate(r.accumulator, claimId, result);
            _jobs[c.jobId].acceptedCount += 1;
        }
        _closeClaim(claimId, cs, ok ? ClaimStatus.Accepted : ClaimStatus.Expired, approvals, paid);
    }

    /// @dev Accepted: claim bond back and the reward. Expired: claim bond back less expiryPenalty (to escrow).
    function _settleWorker(uint256 claimId, Claim memory c, Params storage p, bool ok) private returns (uint256 paid) {
        address worker = _accountAt[c.workerIndex];
        uint256 claimBond = p.claimBond;
        if (ok) {
            _releaseBond(worker, Role.Worker, claimBond);
            paid = p.rewardPerClaim;
            _credit(worker, Role.Worker, paid, claimId, CreditReason.Reward);
        } else {
            uint256 pen = p.expiryPenalty; // <= claimBond
            _releaseBond(worker, Role.Worker, claimBond - pen);
            if (pen != 0) {
                _slashBond(worker, Role.Worker, pen, claimId, SlashReason.ExpiryPenalty);
                _toEscrow(c.jobId, claimId, pen, true);
            }
        }
    }

    /// @dev Approvers get their bond back (and the fee if Accepted); on an undisputed claim, drawn members that did
    ///      nothing pay missPenalty to escrow.
    function _settleMembers(uint256 claimId, Claim memory c, Params storage p, bool ok, bool disputed, bytes32 seed)
        private
        returns (uint256 paid)
    {
        uint256[] memory seats = _committee(claimId, c, seed);
        for (uint256 pos; pos < seats.length; ++pos) {
            address m = _drawnSeat(seats[pos]).account;
            if (c.approvedMask & (1 << pos) != 0) paid += _payApprover(claimId, m, p, ok);
            else if (!disputed) _chargeMiss(claimId, c.jobId, m, p);
        }
    }

    function _payApprover(uint256 claimId, address m, Params storage p, bool ok) private returns (uint256 fee) {
        _releaseBond(m, Role.Verifier, p.approvalBond);
        if (ok) {
            fee = p.approvalFee;
            _credit(m, Role.Verifier, fee, claimId, CreditReason.Fee);
        }
    }

    function _chargeMiss(uint256 claimId, uint256 jobId, address m, Params storage p) private {
        uint256 miss = p.missPenalty;
        if (miss == 0) return;
        _toEscrow(jobId, claimId, _slashFree(m, Role.Verifier, miss, claimId, SlashReason.MissPenalty), true);
    }

    // ---------------------------------------------------------------------------------------------
    // Payments
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILedgerV2
    function withdraw() external nonReentrant {
        StakeRecord storage w = _stakes[msg.sender][Role.Worker];
        StakeRecord storage v = _stakes[msg.sender][Role.Verifier];
        uint256 amount = uint256(w.credit) + v.credit;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        w.credit = 0;
        v.credit = 0;
        _totalCredits -= uint88(amount);
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    function _role(uint8 role) private pure returns (Role) {
        if (role != uint8(Role.Worker) && role != uint8(Role.Verifier)) revert InvalidRole(role);
        return Role(role);
    }

    function _revertNotPending(uint256 claimId, ClaimStatus status) private pure {
        if (status == ClaimStatus.None) revert ClaimNotFound(claimId);
        revert ClaimNotPending(claimId, status);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILedgerV2
    function getJobParams(uint256 jobId) external view returns (JobParams memory) {
        jobId;
        _view();
    }

    /// @inheritdoc ILedgerV2
    function getJob(uint256 jobId) external view returns (JobState memory) {
        jobId;
        _view();
    }

    /// @inheritdoc ILedgerV2
    function getClaim(uint256 claimId) external view returns (ClaimInfo memory) {
        claimId;
        _view();
    }

    /// @inheritdoc ILedgerV2
    function committeeOf(uint256 claimId) external view returns (uint256[] memory) {
        claimId;
        _view();
    }

    /// @inheritdoc ILedgerV2
    function isCommitteeMember(uint256 claimId, address account) external view returns (bool, uint256) {
        (claimId, account);
        _view();
    }

    /// @inheritdoc ILedgerV2
    function getDispute(uint256 disputeId) external view returns (DisputeInfo memory) {
        disputeId;
        _view();
    }

    /// @inheritdoc ILedgerV2
    function juryOf(uint256 disputeId) external view returns (uint256[] memory) {
        disputeId;
        _view();
    }

    /// @inheritdoc ILedgerV2
    function getProposal(uint256 proposalId) external view returns (ProposalInfo memory) {
        proposalId;
        _view();
    }

    /// @inheritdoc ILedgerV2
    function seatAt(uint256 index) external view returns (Seat memory) {
        return _seats[index];
    }

    /// @inheritdoc ILedgerV2
    function seatCount() external view returns (uint256) {
        return _seats.length;
    }

    /// @inheritdoc ILedgerV2
    function stakeOf(address account, uint8 role) external view returns (StakeInfo memory) {
        (account, role);
        _view();
    }

    /// @inheritdoc ILedgerV2
    function creditOf(address account) external view returns (uint256) {
        return uint256(_stakes[account][Role.Worker].credit) + _stakes[account][Role.Verifier].credit;
    }

    /// @inheritdoc ILedgerV2
    function totalEscrow() external view returns (uint256) {
        return _totalEscrow;
    }

    /// @inheritdoc ILedgerV2
    function totalCredits() external view returns (uint256) {
        return _totalCredits;
    }

    /// @inheritdoc ILedgerV2
    function totalStakes() external view returns (uint256) {
        return _totalStakes;
    }

    /// @inheritdoc ILedgerV2
    function accumulatorOf(uint256 jobId, uint256 round) external view returns (bytes32) {
        return _rounds[jobId][round].accumulator;
    }

    /// @inheritdoc ILedgerV2
    function approvalDigest(uint256 claimId) external view returns (bytes32) {
        Claim memory c = _claims[claimId];
        if (c.status == ClaimStatus.None) revert ClaimNotFound(claimId);
        return _approvalDigest(claimId, c);
    }
}
