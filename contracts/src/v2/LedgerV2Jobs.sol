// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ILedgerV2} from "./ILedgerV2.sol";
import {LedgerV2Rules} from "./LedgerV2Rules.sol";
import {LedgerV2Storage} from "./LedgerV2Storage.sol";

/// @title LedgerV2Jobs
/// @notice stake, requestUnstake, withdrawStake, createJob, fund, withdrawEscrow, proposeHead and finalizeHead of LedgerV2, run by delegatecall on the
///         ledger's storage (documented in ILedgerV2). Called directly it sees only its own empty storage.
contract LedgerV2Jobs is LedgerV2Storage, ReentrancyGuardTransient {
    using SafeCast for uint256;

    function stake(uint8 role) external payable {
        ILedgerV2.Role r = _role(role);
        if (msg.value == 0) revert ILedgerV2.ZeroAmount();
        uint256 total = uint256(_totalStakes) + msg.value;
        if (total > _STAKE_CAP) revert ILedgerV2.StakeCapExceeded(total, _STAKE_CAP);
        _totalStakes = uint80(total);
        if (_accountIndex[msg.sender] == 0) {
            uint32 index = ++_lastAccountIndex;
            _accountIndex[msg.sender] = index;
            _accountAt[index] = msg.sender;
        }
        StakeRecord storage s = _stakes[msg.sender][r];
        uint256 newActive = uint256(s.active) + msg.value; // <= total < 2^80
        s.active = uint80(newActive);
        emit ILedgerV2.Staked(msg.sender, r, msg.value, newActive);
        if (r == ILedgerV2.Role.Verifier && newActive >= _seatStakeWei) {
            (bool live,) = _liveSeat(s);
            if (!live) {
                uint256 index = _seats.length;
                if (index >= _MAX_SEATS) revert ILedgerV2.SeatRegistryFull(index);
                _seats.push(ILedgerV2.Seat({account: msg.sender, registeredAt: uint40(block.number), retiredAt: 0}));
                _seatTotal = uint32(index + 1);
                s.seatPlusOne = uint32(index + 1);
                emit ILedgerV2.SeatRegistered(index, msg.sender, uint64(block.number));
            }
        }
    }

    function requestUnstake(uint8 role, uint256 amount) external {
        ILedgerV2.Role r = _role(role);
        if (amount == 0) revert ILedgerV2.ZeroAmount();
        StakeRecord storage s = _stakes[msg.sender][r];
        uint256 active = s.active;
        uint256 free = active - s.locked;
        if (amount > free) revert ILedgerV2.InsufficientUnlockedStake(msg.sender, r, amount, free);
        uint256 newUnbonding = uint256(s.unbonding) + amount;
        uint64 unlockBlock = uint64(block.number) + _unbondingDelay;
        s.active = uint80(active - amount);
        s.unbonding = uint96(newUnbonding);
        s.unlockBlock = uint40(unlockBlock);
        emit ILedgerV2.UnstakeRequested(msg.sender, r, amount, active - amount, newUnbonding, unlockBlock);
        if (r == ILedgerV2.Role.Verifier) _retireSeat(msg.sender, s);
    }

    function withdrawStake(uint8 role) external nonReentrant {
        ILedgerV2.Role r = _role(role);
        StakeRecord storage s = _stakes[msg.sender][r];
        uint256 amount = s.unbonding;
        if (amount == 0) revert ILedgerV2.NothingUnbonding(msg.sender, r);
        if (block.number < s.unlockBlock) revert ILedgerV2.StakeStillBonded(s.unlockBlock, block.number);
        s.unbonding = 0;
        s.unlockBlock = 0;
        _totalStakes -= uint80(amount);
        emit ILedgerV2.StakeWithdrawn(msg.sender, r, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert ILedgerV2.TransferFailed(msg.sender, amount);
    }

    function _role(uint8 role) private pure returns (ILedgerV2.Role) {
        if (role != uint8(ILedgerV2.Role.Worker) && role != uint8(ILedgerV2.Role.Verifier)) revert ILedgerV2.InvalidRole(role);
        return ILedgerV2.Role(role);
    }

    function createJob(ILedgerV2.JobParams calldata p) external payable returns (uint256 jobId) {
        _validate(p);
        jobId = uint256(_lastJobId) + 1;
        _lastJobId = jobId.toUint32();
        _storeParams(jobId, p);
        Job storage j = _jobs[jobId];
        j.escrow = msg.value.toUint88();
        j.owner = msg.sender;
        j.roundStart = uint40(block.number);
        _totalEscrow += uint88(msg.value);
        _rounds[jobId][0].head = p.genesisHead;
        j.slot2Kept = true;
        emit ILedgerV2.JobCreated(jobId, msg.sender, p.specHash, p.genesisHead, msg.value, p);
        emit ILedgerV2.RoundStarted(jobId, 0, p.genesisHead, uint64(block.number));
    }

    function _check(bool ok, ILedgerV2.Param which, uint256 value, uint256 limit) private pure {
        if (!ok) revert ILedgerV2.InvalidJobParam(which, value, limit);
    }

    function _validate(ILedgerV2.JobParams calldata p) private pure {
        _check(p.genesisHead != 0, ILedgerV2.Param.GenesisHead, 0, 0);
        _check(p.committeeSize >= 1 && p.committeeSize <= _MAX_COMMITTEE, ILedgerV2.Param.CommitteeSize, p.committeeSize, _MAX_COMMITTEE);
        _check(p.quorum >= 1 && p.quorum <= p.committeeSize, ILedgerV2.Param.Quorum, p.quorum, p.committeeSize);
        _check(p.jurySize >= 1 && p.jurySize <= _MAX_JURY, ILedgerV2.Param.JurySize, p.jurySize, _MAX_JURY);
        _check(
            p.samplesPerMember >= 1 && p.samplesPerMember <= _MAX_SAMPLES,
            ILedgerV2.Param.SamplesPerMember,
            p.samplesPerMember,
            _MAX_SAMPLES
        );
        _check(p.checkpointEvery >= 1, ILedgerV2.Param.CheckpointEvery, 0, 1);
        _check(p.maxClaimsPerRound >= 1, ILedgerV2.Param.MaxClaimsPerRound, 0, 1);
        _check(p.maxRedraws <= _MAX_REDRAWS, ILedgerV2.Param.MaxRedraws, p.maxRedraws, _MAX_REDRAWS);
        _check(p.submitWindow >= 1, ILedgerV2.Param.SubmitWindow, 0, 1);
        _check(p.verifyWindow >= 1, ILedgerV2.Param.VerifyWindow, 0, 1);
        _check(p.challengeWindow >= 1, ILedgerV2.Param.ChallengeWindow, 0, 1);
        // Votes and challenges read the claim's blockhash live; bound their span below the 256-block horizon.
        uint256 claimSpan = uint256(p.verifyWindow) + p.challengeWindow;
        _check(claimSpan <= _MAX_SEEDED_WINDOW, ILedgerV2.Param.ChallengeWindow, claimSpan, _MAX_SEEDED_WINDOW);
        _check(p.commitWindow >= 1 && p.commitWindow <= _MAX_SEEDED_WINDOW, ILedgerV2.Param.CommitWindow, p.commitWindow, _MAX_SEEDED_WINDOW);
        _check(p.revealWindow >= 1, ILedgerV2.Param.RevealWindow, 0, 1);
        _check(p.headWindow >= 1, ILedgerV2.Param.HeadWindow, 0, 1);
        _check(p.claimBond != 0, ILedgerV2.Param.ClaimBond, 0, 1);
        _check(p.approvalBond != 0, ILedgerV2.Param.ApprovalBond, 0, 1);
        _check(p.challengeBond != 0, ILedgerV2.Param.ChallengeBond, 0, 1);
        _check(p.jurorBond != 0, ILedgerV2.Param.JurorBond, 0, 1);
        _check(p.headBond != 0, ILedgerV2.Param.HeadBond, 0, 1);
        _check(p.expiryPenalty <= p.claimBond, ILedgerV2.Param.ExpiryPenalty, p.expiryPenalty, p.claimBond);
        _check(p.missPenalty <= p.approvalBond, ILedgerV2.Param.MissPenalty, p.missPenalty, p.approvalBond);
        uint256 reserve = LedgerV2Rules.reservation(p.rewardPerClaim, p.approvalFee, p.committeeSize);
        _check(reserve <= type(uint96).max, ILedgerV2.Param.Reservation, reserve, type(uint96).max);
    }

    function fund(uint256 jobId) external payable {
        if (msg.value == 0) revert ILedgerV2.ZeroAmount();
        Job storage j = _existingJob(jobId);
        uint256 e = uint256(j.escrow) + msg.value;
        j.escrow = e.toUint88();
        _totalEscrow += uint88(msg.value);
        emit ILedgerV2.JobFunded(jobId, msg.sender, msg.value, e);
    }

    function withdrawEscrow(uint256 jobId, uint256 amount) external nonReentrant {
        Job storage j = _existingJob(jobId);
        if (msg.sender != j.owner) revert ILedgerV2.NotJobOwner(jobId, msg.sender);
        if (amount == 0) revert ILedgerV2.ZeroAmount();
        if (j.openClaims != 0) revert ILedgerV2.ClaimsOpen(jobId, j.openClaims);
        uint256 e = j.escrow;
        if (amount > e) revert ILedgerV2.InsufficientEscrow(jobId, amount, e);
        j.escrow = uint88(e - amount);
        _totalEscrow -= uint88(amount);
        emit ILedgerV2.EscrowWithdrawn(jobId, msg.sender, amount, e - amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert ILedgerV2.TransferFailed(msg.sender, amount);
    }

    function proposeHead(uint256 jobId, uint64 round, bytes32 newHead, bytes32 acceptedClaimsRoot)
        external
        returns (uint256 proposalId)
    {
        Job storage j = _existingJob(jobId);
        Params storage p = _params[jobId];
        if (round != j.round) revert ILedgerV2.WrongRound(jobId, round, j.round);
        uint256 deadline = uint256(j.roundStart) + p.submitWindow;
        // A full round takes no more claims (submitClaim: RoundFull): its submissions are closed, so its head may
        // follow as soon as its claims are final, and the work, not the window, sets the round's length.
        if (block.number < deadline && j.roundClaims < p.maxClaimsPerRound) {
            revert ILedgerV2.SubmitWindowOpen(jobId, deadline, block.number);
        }
        if (j.openClaims != 0) revert ILedgerV2.RoundNotSettled(jobId, j.openClaims);
        if (j.pendingProposal != 0) revert ILedgerV2.ProposalPending(jobId, j.pendingProposal);
        Round storage r = _rounds[jobId][round];
        bytes32 acc = r.accumulator;
        if (acceptedClaimsRoot != acc) revert ILedgerV2.WrongAcceptedRoot(acceptedClaimsRoot, acc);
        bytes32 parent = r.head;
        if (newHead == 0 || (j.acceptedCount == 0 && newHead != parent)) revert ILedgerV2.InvalidHead(newHead);
        _lockBond(msg.sender, ILedgerV2.Role.Verifier, p.headBond);
        proposalId = ++_lastProposalId;
        _proposals[proposalId] = Proposal({
            proposer: msg.sender,
            jobId: uint32(jobId),
            round: uint32(round),
            status: ILedgerV2.ProposalStatus.Pending,
            proposeBlock: uint40(block.number),
            disputeId: 0,
            newHead: newHead
        });
        j.pendingProposal = uint64(proposalId);
        emit ILedgerV2.HeadProposed(
            proposalId, jobId, round, msg.sender, parent, newHead, acceptedClaimsRoot, uint64(block.number)
        );
    }

    function finalizeHead(uint256 proposalId) external {
        Proposal storage pr = _proposals[proposalId];
        ILedgerV2.ProposalStatus st = pr.status;
        if (st == ILedgerV2.ProposalStatus.None) revert ILedgerV2.ProposalNotFound(proposalId);
        if (st != ILedgerV2.ProposalStatus.Pending) revert ILedgerV2.ProposalNotPending(proposalId, st);
        uint256 jobId = pr.jobId;
        Params storage p = _params[jobId];
        uint256 closes = uint256(pr.proposeBlock) + p.headWindow;
        if (block.number <= closes) revert ILedgerV2.WindowOpen(closes, block.number);
        uint256 disputeId = pr.disputeId;
        // A dispute that proved the head wrong (or gave no verdict) has already closed the proposal.
        if (disputeId != 0 && _disputes[disputeId].status == ILedgerV2.DisputeStatus.Open) {
            revert ILedgerV2.DisputeUnresolved(disputeId);
        }
        pr.status = ILedgerV2.ProposalStatus.Accepted;
        uint64 round = pr.round;
        emit ILedgerV2.HeadFinalized(proposalId, jobId, round, ILedgerV2.ProposalStatus.Accepted);
        _releaseBond(pr.proposer, ILedgerV2.Role.Verifier, p.headBond);
        Job storage j = _jobs[jobId];
        bytes32 head = pr.newHead;
        uint64 next = round + 1;
        j.round = uint32(next);
        j.roundStart = uint40(block.number);
        j.roundClaims = 0;
        j.acceptedCount = 0;
        j.pendingProposal = 0;
        _rounds[jobId][next].head = head; // its accumulator starts at 0
        emit ILedgerV2.HeadAdvanced(jobId, next, _rounds[jobId][round].head, head);
        emit ILedgerV2.RoundStarted(jobId, next, head, uint64(block.number));
    }
}
