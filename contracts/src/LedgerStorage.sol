// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGradchainLedger} from "./IGradchainLedger.sol";

/// @title LedgerStorage
/// @notice The ledger's storage layout and the few checks shared by GradchainLedger and LedgerRounds. Both
///         inherit it before any contract with storage, so LedgerRounds, run by delegatecall, sees the ledger's
///         storage slot for slot (`forge inspect <name> storageLayout` shows the same prefix for both).
abstract contract LedgerStorage {
    /// @dev See Round.accMasked.
    bytes32 internal constant _ACC_MASK = bytes32(uint256(1));

    /// @dev A job in five packed slots plus two hashes.
    struct Job {
        // slot 0: written by fund, submit, finalize, withdrawEscrow, finalizeHead
        uint96 escrow; // available (unreserved) escrow
        uint32 round;
        uint40 roundStart;
        uint32 openClaims;
        uint32 acceptedCount; // accepted claims of the current round (archived into Round on advance)
        // slot 1: read by submit, attest, finalize
        uint96 rewardPerClaim;
        uint96 verifierFee;
        uint32 submitWindow;
        uint16 verifyWindow;
        uint8 quorum;
        uint8 maxVotes;
        // slot 2
        uint96 minWorkerStake;
        uint96 minVerifierStake;
        uint64 pendingProposal;
        // slot 3
        uint96 workerSlash;
        uint96 verifierSlash;
        // slot 4
        address owner;
        // slot 5, 6
        bytes32 specHash;
        bytes32 genesisHead;
    }

    /// @dev A round: its head, its accepted-results accumulator, when it started, how many claims it accepted
    ///      (acceptedCount is only written when the round closes; the current round's lives in Job).
    ///      The accumulator is stored XOR _ACC_MASK, and every round starts by writing the mask: the round's
    ///      first accepted claim then rewrites a nonzero slot (about 5k gas) instead of filling a zero one
    ///      (about 22k); the 20k moves to round start, paid once per round.
    struct Round {
        bytes32 head;
        bytes32 accMasked;
        uint40 startBlock;
        uint32 acceptedCount;
    }

    /// @dev A stake per (account, role). Credit lives here too (creditOf sums both roles) so that settling a
    ///      claim unlocks, slashes and credits an account with one storage write.
    struct StakeRecord {
        // slot 0
        uint96 active;
        uint96 credit;
        uint32 openLocks;
        uint32 accountIndex;
        // slot 1
        uint96 unbonding;
        uint64 unlockBlock;
    }

    /// @dev A claim's metadata in one slot, including its first three votes.
    struct Claim {
        uint32 workerIndex;
        uint32 jobId;
        uint32 round;
        uint40 submitBlock;
        IGradchainLedger.ClaimStatus status;
        uint8 approvals;
        uint8 rejections;
        uint96 votes; // entries 0..2, 32 bits each
    }

    /// @dev A claim's hashes, keyed by (jobId, round, workerIndex): the key doubles as the one-claim-per-worker-
    ///      per-round guard, so no separate slot is written for it.
    struct ClaimData {
        bytes32 result;
        bytes32 transcriptRoot;
    }

    struct Proposal {
        // slot 0
        address proposer;
        uint32 jobId;
        uint32 round;
        IGradchainLedger.ProposalStatus status;
        uint8 approvals;
        uint8 rejections;
        // slot 1
        uint40 proposeBlock;
        // slot 2, 3
        bytes32 parent;
        bytes32 newHead;
    }

    mapping(uint256 jobId => Job) internal _jobs;
    mapping(uint256 jobId => mapping(uint256 round => Round)) internal _rounds;
    mapping(address account => mapping(IGradchainLedger.Role role => StakeRecord)) internal _stakes;
    mapping(address account => uint32) internal _accountIndex;
    mapping(uint32 accountIndex => address) internal _accountAt;
    mapping(uint256 claimId => Claim) internal _claims;
    mapping(uint256 claimId => uint256[2]) internal _extraVotes;
    mapping(bytes32 key => ClaimData) internal _claimData;
    mapping(uint256 proposalId => Proposal) internal _proposals;
    mapping(uint256 proposalId => mapping(address verifier => bool)) internal _headVoted;

    // The three totals share one slot so that settling a claim writes it once. Escrow and credits are bounded
    // by the ETH held, below the ETH supply (about 1.2e26 wei < 2^88); total stake is capped at 2^80 - 1 wei
    // (about 1.2M ETH), enforced in stake().
    uint88 internal _totalEscrow;
    uint88 internal _totalCredits;
    uint80 internal _totalStakes;
    uint64 internal _lastClaimId;
    uint32 internal _lastJobId;
    uint32 internal _lastAccountIndex;
    uint64 internal _lastProposalId;


    function _existingJob(uint256 jobId) internal view returns (Job storage j) {
        j = _jobs[jobId];
        if (j.owner == address(0)) revert IGradchainLedger.JobNotFound(jobId);
    }

    /// @dev A staked account: active >= the job's minimum, and at least 1 wei so that a zero minimum still
    ///      means "has staked".
    function _requireStake(StakeRecord storage s, address account, IGradchainLedger.Role role, uint256 minimum) internal view {
        uint256 required = minimum == 0 ? 1 : minimum;
        uint256 active = s.active;
        if (active < required) revert IGradchainLedger.InsufficientStake(account, role, required, active);
    }

    function _revertProposalNotPending(uint256 proposalId, IGradchainLedger.ProposalStatus status) internal pure {
        if (status == IGradchainLedger.ProposalStatus.None) revert IGradchainLedger.ProposalNotFound(proposalId);
        revert IGradchainLedger.ProposalNotPending(proposalId, status);
    }

    /// @dev Start a round: its head, its start block, and the masked empty accumulator.
    function _startRound(uint256 jobId, uint256 round, bytes32 head) internal {
        Round storage r = _rounds[jobId][round];
        r.head = head;
        r.accMasked = _ACC_MASK;
        r.startBlock = uint40(block.number);
    }

    /// @dev The accepted-results accumulator of a round (0 until a claim is accepted).
    function _accOf(uint256 jobId, uint256 round) internal view returns (bytes32) {
        return _rounds[jobId][round].accMasked ^ _ACC_MASK;
    }
}
