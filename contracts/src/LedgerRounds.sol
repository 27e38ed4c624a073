// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IGradchainLedger} from "./IGradchainLedger.sol";
import {LedgerRules} from "./LedgerRules.sol";
import {LedgerStorage} from "./LedgerStorage.sol";

/// @title LedgerRounds
/// @notice Job creation (round 0), escrow top-ups and withdrawals, head proposals, head votes and round
///         advancement of GradchainLedger. The ledger deploys one instance and runs these functions by
///         delegatecall on its own storage (see IGradchainLedger for their documentation); called directly, an
///         instance only sees its own empty storage and holds no funds. Head votes carry no fee or slash in v1
///         and lock no stake.
contract LedgerRounds is LedgerStorage, ReentrancyGuardTransient {
    using SafeCast for uint256;

    /// @dev Same values as GradchainLedger.MAX_VOTES_PER_CLAIM and MAX_VERIFY_WINDOW.
    uint32 private constant _MAX_VOTES = 16;
    uint32 private constant _MAX_VERIFY_WINDOW = 200;

    function createJob(IGradchainLedger.JobParams calldata p) external payable returns (uint256 jobId) {
        _validateJobParams(p);
        jobId = uint256(_lastJobId) + 1;
        _lastJobId = jobId.toUint32();

        Job storage j = _jobs[jobId];
        j.escrow = msg.value.toUint96();
        j.roundStart = uint40(block.number);
        // All four amounts fit uint96 (checked in _validateJobParams); the slashes are below the minimums.
        j.rewardPerClaim = uint96(p.rewardPerClaim);
        j.verifierFee = uint96(p.verifierFee);
        j.submitWindow = p.submitWindow;
        j.verifyWindow = uint16(p.verifyWindow); // <= MAX_VERIFY_WINDOW, checked above
        j.quorum = uint8(p.quorum); // <= maxVotes <= 16, checked above
        j.maxVotes = uint8(p.maxVotes);
        j.minWorkerStake = uint96(p.minWorkerStake);
        j.minVerifierStake = uint96(p.minVerifierStake);
        j.workerSlash = uint96(p.workerSlash); // <= minWorkerStake, checked above
        j.verifierSlash = uint96(p.verifierSlash); // <= minVerifierStake, checked above
        j.owner = msg.sender;
        j.specHash = p.specHash;
        j.genesisHead = p.genesisHead;
        _totalEscrow += uint88(msg.value); // msg.value < ETH supply < 2^88 wei

        _startRound(jobId, 0, p.genesisHead);

        emit IGradchainLedger.JobCreated(jobId, msg.sender, p.specHash, p.genesisHead, msg.value, p);
        emit IGradchainLedger.RoundStarted(jobId, 0, p.genesisHead, uint64(block.number));
    }

    function fund(uint256 jobId) external payable {
        if (msg.value == 0) revert IGradchainLedger.ZeroAmount();
        Job storage j = _existingJob(jobId);
        uint256 newEscrow = uint256(j.escrow) + msg.value;
        j.escrow = newEscrow.toUint96();
        _totalEscrow += uint88(msg.value); // msg.value < ETH supply < 2^88 wei
        emit IGradchainLedger.JobFunded(jobId, msg.sender, msg.value, newEscrow);
    }

    function withdrawEscrow(uint256 jobId, uint256 amount) external nonReentrant {
        Job storage j = _existingJob(jobId);
        if (msg.sender != j.owner) revert IGradchainLedger.NotJobOwner(jobId, msg.sender, j.owner);
        if (j.openClaims != 0) revert IGradchainLedger.OpenClaims(jobId, j.openClaims);
        if (amount == 0) revert IGradchainLedger.ZeroAmount();
        uint256 available = j.escrow;
        if (amount > available) revert IGradchainLedger.InsufficientEscrow(jobId, available, amount);
        // Checked just above: amount <= available, and available <= _totalEscrow.
        unchecked {
            j.escrow = uint96(available - amount);
            _totalEscrow -= uint88(amount);
        }
        emit IGradchainLedger.EscrowWithdrawn(jobId, msg.sender, amount, available - amount);
        _send(msg.sender, amount);
    }

    function proposeHead(uint256 jobId, uint64 round, bytes32 newHead, bytes32 acceptedClaimsRoot)
        external
        returns (uint256 proposalId)
    {
        Job storage j = _existingJob(jobId);
        uint256 currentRound = j.round;
        if (round != currentRound) revert IGradchainLedger.WrongRound(currentRound, round);
        uint256 closesAt = uint256(j.roundStart) + j.submitWindow;
        if (block.number < closesAt) revert IGradchainLedger.SubmissionWindowOpen(closesAt, block.number);
        if (j.openClaims != 0) revert IGradchainLedger.OpenClaims(jobId, j.openClaims);
        if (j.pendingProposal != 0) revert IGradchainLedger.ProposalAlreadyPending(jobId, j.pendingProposal);
        Round storage rd = _rounds[jobId][currentRound];
        bytes32 acc = _accOf(jobId, currentRound);
        if (acceptedClaimsRoot != acc) revert IGradchainLedger.WrongAcceptedClaimsRoot(acc, acceptedClaimsRoot);
        bytes32 parent = rd.head;
        if (j.acceptedCount == 0 && newHead != parent) revert IGradchainLedger.HeadMustNotChange(parent, newHead);
        if (newHead == bytes32(0)) revert IGradchainLedger.ZeroHash();

        proposalId = uint256(_lastProposalId) + 1;
        _lastProposalId = uint64(proposalId); // one per transaction: never reaches 2^64
        j.pendingProposal = uint64(proposalId);
        _proposals[proposalId] = Proposal({
            proposer: msg.sender,
            jobId: uint32(jobId),
            round: uint32(currentRound),
            status: IGradchainLedger.ProposalStatus.Pending,
            approvals: 0,
            rejections: 0,
            proposeBlock: uint40(block.number),
            parent: parent,
            newHead: newHead
        });
        emit IGradchainLedger.HeadProposed(
            proposalId, jobId, round, msg.sender, parent, newHead, acceptedClaimsRoot, uint64(block.number)
        );
    }

    function attestHead(uint256 proposalId, bool approve) external {
        Proposal storage p = _proposals[proposalId];
        if (p.status != IGradchainLedger.ProposalStatus.Pending) _revertProposalNotPending(proposalId, p.status);
        Job storage j = _jobs[p.jobId];
        uint256 deadline = uint256(p.proposeBlock) + j.verifyWindow;
        if (block.number > deadline) revert IGradchainLedger.VotingClosed(deadline, block.number);
        _requireStake(_stakes[msg.sender][IGradchainLedger.Role.Verifier], msg.sender, IGradchainLedger.Role.Verifier, j.minVerifierStake);
        uint256 n = uint256(p.approvals) + p.rejections;
        if (n >= j.maxVotes) revert IGradchainLedger.VoteLimitReached(proposalId, j.maxVotes);
        if (_headVoted[proposalId][msg.sender]) revert IGradchainLedger.AlreadyVoted(proposalId, msg.sender);
        _headVoted[proposalId][msg.sender] = true;
        // n < maxVotes <= 16: the uint8 counters cannot overflow.
        unchecked {
            if (approve) p.approvals += 1;
            else p.rejections += 1;
        }
        emit IGradchainLedger.HeadAttested(proposalId, msg.sender, approve);
    }

    function finalizeHead(uint256 proposalId) external {
        Proposal storage p = _proposals[proposalId];
        if (p.status != IGradchainLedger.ProposalStatus.Pending) _revertProposalNotPending(proposalId, p.status);
        uint256 jobId = p.jobId;
        Job storage j = _jobs[jobId];
        uint8 approvals = p.approvals;
        uint8 rejections = p.rejections;
        uint256 deadline = uint256(p.proposeBlock) + j.verifyWindow;
        if (uint256(approvals) + rejections < j.maxVotes && block.number <= deadline) {
            revert IGradchainLedger.VotingStillOpen(deadline, block.number);
        }
        IGradchainLedger.ProposalStatus status = IGradchainLedger.ProposalStatus(LedgerRules.outcome(approvals, rejections, j.quorum));
        p.status = status;
        j.pendingProposal = 0;
        uint64 round = p.round;
        emit IGradchainLedger.HeadFinalized(proposalId, jobId, round, status, approvals, rejections);

        if (status == IGradchainLedger.ProposalStatus.Accepted) {
            _rounds[jobId][round].acceptedCount = j.acceptedCount;
            uint64 next = round + 1;
            bytes32 head = p.newHead;
            j.round = uint256(next).toUint32();
            j.roundStart = uint40(block.number);
            j.acceptedCount = 0;
            _startRound(jobId, next, head);
            emit IGradchainLedger.HeadAdvanced(jobId, next, p.parent, head);
            emit IGradchainLedger.RoundStarted(jobId, next, head, uint64(block.number));
        }
    }

    function _validateJobParams(IGradchainLedger.JobParams calldata p) private pure {
        if (p.quorum == 0 || p.quorum > p.maxVotes) revert IGradchainLedger.InvalidQuorum(p.quorum, p.maxVotes);
        if (p.maxVotes > _MAX_VOTES) revert IGradchainLedger.TooManyMaxVotes(p.maxVotes, _MAX_VOTES);
        if (p.submitWindow == 0 || p.verifyWindow == 0) revert IGradchainLedger.ZeroWindow(p.submitWindow, p.verifyWindow);
        if (p.verifyWindow > _MAX_VERIFY_WINDOW) revert IGradchainLedger.VerifyWindowTooLong(p.verifyWindow, _MAX_VERIFY_WINDOW);
        if (p.workerSlash > p.minWorkerStake) revert IGradchainLedger.SlashExceedsMinStake(p.workerSlash, p.minWorkerStake);
        if (p.verifierSlash > p.minVerifierStake) revert IGradchainLedger.SlashExceedsMinStake(p.verifierSlash, p.minVerifierStake);
        if (p.genesisHead == bytes32(0)) revert IGradchainLedger.ZeroHash();
        // A reservation (reward + fee * maxVotes) must fit the uint96 escrow, else no claim could ever be
        // submitted; this also bounds each amount. The minimum stakes must fit the uint96 stake records.
        LedgerRules.reservation(p.rewardPerClaim, p.verifierFee, p.maxVotes).toUint96();
        (p.minWorkerStake | p.minVerifierStake).toUint96();
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert IGradchainLedger.TransferFailed(to, amount);
    }
}
