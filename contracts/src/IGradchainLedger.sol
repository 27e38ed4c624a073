// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IGradchainLedger
/// @notice The on-chain half of gradchain: job escrow, worker and verifier stakes, training-step claims,
///         EIP-712 attestations, claim finalization with fees and slashing, the chain of model heads, and
///         pull payments. See PROTOCOL.md section 4 and contracts/README.md.
/// @dev Every state change emits an event; an auditor rebuilds the ledger from events alone.
///      Amounts are in wei. Roles and statuses travel as uint8 in the ABI.
interface IGradchainLedger {
    // ---------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------

    /// @notice What a stake is bonded for. Each address has at most one stake per role.
    enum Role {
        None,
        Worker,
        Verifier
    }

    /// @notice Lifecycle of a claim: Pending until finalized, then exactly one terminal status.
    enum ClaimStatus {
        None,
        Pending,
        Accepted,
        Rejected,
        Expired
    }

    /// @notice Lifecycle of a head proposal: Pending until finalized, then exactly one terminal status.
    enum ProposalStatus {
        None,
        Pending,
        Accepted,
        Rejected,
        Expired
    }

    /// @notice Why an account was credited.
    enum CreditReason {
        Reward,
        Fee,
        SlashShare
    }

    /// @notice Parameters of a job, fixed at creation.
    /// @param specHash Hash of the canonical job-spec JSON (model, data, optimizer, steps, verification mode).
    /// @param genesisHead Checkpoint id of the initial weights; head of round 0. Must be nonzero.
    /// @param rewardPerClaim Wei credited to the worker of an accepted claim.
    /// @param verifierFee Wei credited to each verifier on the winning side of a finalized claim.
    /// @param quorum Votes a side needs to win (approvals for Accepted, rejections for Rejected); >= 1.
    /// @param maxVotes Most votes a claim or head proposal accepts; in [quorum, MAX_VOTES_PER_CLAIM].
    /// @param submitWindow Blocks after a round starts during which claims may be submitted; > 0.
    /// @param verifyWindow Blocks of voting after a claim's seed block (or after a head proposal);
    ///        in [1, MAX_VERIFY_WINDOW].
    /// @param minWorkerStake Least active worker stake needed to submit a claim.
    /// @param minVerifierStake Least active verifier stake needed to vote.
    /// @param workerSlash Wei taken from the worker's active stake when its claim is rejected; <= minWorkerStake.
    /// @param verifierSlash Wei taken from a verifier's active stake when it votes with the losing side;
    ///        <= minVerifierStake.
    struct JobParams {
        bytes32 specHash;
        bytes32 genesisHead;
        uint256 rewardPerClaim;
        uint256 verifierFee;
        uint32 quorum;
        uint32 maxVotes;
        uint32 submitWindow;
        uint32 verifyWindow;
        uint256 minWorkerStake;
        uint256 minVerifierStake;
        uint256 workerSlash;
        uint256 verifierSlash;
    }

    /// @notice A verifier's vote on a claim, signed with EIP-712 (domain "gradchain", version "1").
    /// @param claimId The claim voted on.
    /// @param approve True to approve, false to reject.
    /// @param transcriptRoot The claim's transcript root as the verifier saw it; must match the claim's.
    /// @param seed blockhash(submitBlock + SEED_DELAY), the sampling seed the verifier used.
    struct Attestation {
        uint256 claimId;
        bool approve;
        bytes32 transcriptRoot;
        bytes32 seed;
    }

    /// @notice A job as stored, plus derived figures.
    /// @param owner Creator of the job; the only account that may withdraw its escrow.
    /// @param params The job's parameters (genesisHead and specHash as given at creation).
    /// @param escrow Available (unreserved) escrow in wei.
    /// @param reserved Escrow reserved by pending claims: openClaims * (rewardPerClaim + verifierFee * maxVotes).
    /// @param round Current round.
    /// @param roundStart Block at which the current round started.
    /// @param head Head checkpoint of the current round.
    /// @param openClaims Pending claims (they all belong to the current round).
    /// @param pendingProposal Id of the job's Pending head proposal, 0 if none.
    struct JobView {
        address owner;
        JobParams params;
        uint256 escrow;
        uint256 reserved;
        uint64 round;
        uint64 roundStart;
        bytes32 head;
        uint32 openClaims;
        uint256 pendingProposal;
    }

    /// @notice A claim as stored (the artifact URI and step count live only in ClaimSubmitted).
    /// @param jobId Job the claim belongs to.
    /// @param round Round the claim was submitted in.
    /// @param worker The worker that submitted it.
    /// @param base The round's head the claim trains from.
    /// @param result Checkpoint id of the claimed result.
    /// @param transcriptRoot Merkle root of the claim's transcript.
    /// @param submitBlock Block of submission.
    /// @param seedBlock submitBlock + SEED_DELAY; its hash seeds the verifiers' samples.
    /// @param deadline Last block at which votes are accepted: seedBlock + verifyWindow.
    /// @param status Current status.
    /// @param approvals Approving votes cast.
    /// @param rejections Rejecting votes cast.
    struct ClaimView {
        uint256 jobId;
        uint64 round;
        address worker;
        bytes32 base;
        bytes32 result;
        bytes32 transcriptRoot;
        uint64 submitBlock;
        uint64 seedBlock;
        uint64 deadline;
        ClaimStatus status;
        uint8 approvals;
        uint8 rejections;
    }

    /// @notice A head proposal as stored.
    /// @param jobId Job whose head it would advance.
    /// @param round Round it closes.
    /// @param proposer Account that proposed it.
    /// @param parent Head of the round at proposal time.
    /// @param newHead Proposed head of the next round.
    /// @param proposeBlock Block of the proposal.
    /// @param deadline Last block at which votes are accepted: proposeBlock + verifyWindow.
    /// @param status Current status.
    /// @param approvals Approving votes cast.
    /// @param rejections Rejecting votes cast.
    struct ProposalView {
        uint256 jobId;
        uint64 round;
        address proposer;
        bytes32 parent;
        bytes32 newHead;
        uint64 proposeBlock;
        uint64 deadline;
        ProposalStatus status;
        uint8 approvals;
        uint8 rejections;
    }

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    /// @notice A job was created with `escrow` wei (msg.value) and the given parameters.
    /// @param jobId New job id (ids start at 1).
    /// @param owner The creator.
    /// @param specHash Job spec hash.
    /// @param genesisHead Head of round 0.
    /// @param escrow Initial escrow in wei.
    /// @param params All parameters as given.
    event JobCreated(
        uint256 indexed jobId,
        address indexed owner,
        bytes32 specHash,
        bytes32 genesisHead,
        uint256 escrow,
        JobParams params
    );

    /// @notice A round of a job started at `startBlock` with head `head`.
    /// @param jobId The job.
    /// @param round The round that started.
    /// @param head Its head checkpoint.
    /// @param startBlock Block it started at; its submission window is [startBlock, startBlock + submitWindow).
    event RoundStarted(uint256 indexed jobId, uint64 indexed round, bytes32 head, uint64 startBlock);

    /// @notice `funder` added `amount` wei to a job's escrow.
    /// @param jobId The job.
    /// @param funder Who paid.
    /// @param amount Wei added.
    /// @param newEscrow Available escrow after the top-up.
    event JobFunded(uint256 indexed jobId, address indexed funder, uint256 amount, uint256 newEscrow);

    /// @notice The owner took `amount` wei of available escrow back.
    /// @param jobId The job.
    /// @param owner The job owner, who received the wei.
    /// @param amount Wei withdrawn.
    /// @param newEscrow Available escrow after the withdrawal.
    event EscrowWithdrawn(uint256 indexed jobId, address indexed owner, uint256 amount, uint256 newEscrow);

    /// @notice A finalized claim returned wei to its job's available escrow: the unused part of its
    ///         reservation plus slash dust that could not be split evenly.
    /// @dev A submission reserves rewardPerClaim + verifierFee * maxVotes (derivable from JobCreated);
    ///      this event closes that reservation.
    /// @param jobId The job.
    /// @param claimId The finalized claim.
    /// @param amount Wei returned to available escrow.
    /// @param newEscrow Available escrow afterwards.
    event EscrowReleased(uint256 indexed jobId, uint256 indexed claimId, uint256 amount, uint256 newEscrow);

    /// @notice `account` bonded `amount` wei for `role`.
    /// @param account The staker.
    /// @param role Worker or Verifier.
    /// @param amount Wei added.
    /// @param newActive Active stake afterwards.
    /// @param accountIndex The account's compact index (used in packed vote records), assigned at first stake.
    event Staked(address indexed account, Role indexed role, uint256 amount, uint256 newActive, uint32 accountIndex);

    /// @notice `amount` wei left the active stake and unbonds until `unlockBlock`.
    /// @param account The staker.
    /// @param role Worker or Verifier.
    /// @param amount Wei moved from active to unbonding.
    /// @param newActive Active stake afterwards.
    /// @param newUnbonding Total unbonding afterwards (earlier requests are merged and re-timed).
    /// @param unlockBlock First block at which the unbonding stake may be withdrawn.
    event UnstakeRequested(
        address indexed account,
        Role indexed role,
        uint256 amount,
        uint256 newActive,
        uint256 newUnbonding,
        uint64 unlockBlock
    );

    /// @notice Unbonded stake was paid out to `account`.
    /// @param account The staker (and recipient).
    /// @param role Worker or Verifier.
    /// @param amount Wei paid.
    event StakeWithdrawn(address indexed account, Role indexed role, uint256 amount);

    /// @notice A worker submitted a claim; rewardPerClaim + verifierFee * maxVotes of the job's escrow is
    ///         reserved for it and the worker's stake is locked until the claim is finalized.
    /// @param claimId New claim id (global, from 1).
    /// @param jobId The job.
    /// @param round The round (the job's current one).
    /// @param worker The worker.
    /// @param base The head trained from.
    /// @param result Checkpoint id of the result.
    /// @param transcriptRoot Merkle root of the transcript.
    /// @param steps Training steps claimed.
    /// @param artifactURI Where the worker serves its transcript and checkpoints (not stored on chain).
    /// @param submitBlock Block of submission; the seed is blockhash(submitBlock + SEED_DELAY).
    event ClaimSubmitted(
        uint256 indexed claimId,
        uint256 indexed jobId,
        uint64 indexed round,
        address worker,
        bytes32 base,
        bytes32 result,
        bytes32 transcriptRoot,
        uint32 steps,
        string artifactURI,
        uint64 submitBlock
    );

    /// @notice A verifier voted on a claim; its verifier stake is locked until the claim is finalized.
    /// @param claimId The claim.
    /// @param verifier The voter (the signer, for relayed votes).
    /// @param approve The vote.
    /// @param seed The sampling seed the verifier used.
    event Attested(uint256 indexed claimId, address indexed verifier, bool approve, bytes32 seed);

    /// @notice A claim reached its terminal status; all stakes it locked are unlocked.
    /// @param claimId The claim.
    /// @param jobId Its job.
    /// @param round Its round.
    /// @param status Accepted, Rejected or Expired.
    /// @param approvals Approving votes.
    /// @param rejections Rejecting votes.
    event ClaimFinalized(
        uint256 indexed claimId,
        uint256 indexed jobId,
        uint64 indexed round,
        ClaimStatus status,
        uint8 approvals,
        uint8 rejections
    );

    /// @notice `account` was credited `amount` wei, withdrawable with withdraw().
    /// @param account The credited account.
    /// @param claimId The claim that produced the credit.
    /// @param amount Wei credited.
    /// @param reason Reward (worker), Fee (winning verifier) or SlashShare (winning verifier's share of slashes).
    event Credited(address indexed account, uint256 indexed claimId, uint256 amount, CreditReason reason);

    /// @notice `amount` wei was taken from `account`'s active stake for `role`.
    /// @param account The slashed account.
    /// @param role Worker (rejected claim) or Verifier (losing-side vote).
    /// @param claimId The claim.
    /// @param amount Wei taken (min of the job's slash amount and the active stake).
    event Slashed(address indexed account, Role indexed role, uint256 indexed claimId, uint256 amount);

    /// @notice `account` withdrew all of its credit.
    /// @param account The recipient.
    /// @param amount Wei paid.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice A new head was proposed for the end of a round.
    /// @param proposalId New proposal id (global, from 1).
    /// @param jobId The job.
    /// @param round The round it closes.
    /// @param proposer Who proposed it.
    /// @param parent The round's head.
    /// @param newHead The proposed next head.
    /// @param acceptedClaimsRoot The round's accepted-results accumulator it was checked against.
    /// @param proposeBlock Block of the proposal.
    event HeadProposed(
        uint256 indexed proposalId,
        uint256 indexed jobId,
        uint64 indexed round,
        address proposer,
        bytes32 parent,
        bytes32 newHead,
        bytes32 acceptedClaimsRoot,
        uint64 proposeBlock
    );

    /// @notice A verifier voted on a head proposal (head votes lock no stake: v1 has no head fees or slashing).
    /// @param proposalId The proposal.
    /// @param verifier The voter.
    /// @param approve The vote.
    event HeadAttested(uint256 indexed proposalId, address indexed verifier, bool approve);

    /// @notice A head proposal reached its terminal status.
    /// @param proposalId The proposal.
    /// @param jobId The job.
    /// @param round The round it was meant to close.
    /// @param status Accepted, Rejected or Expired.
    /// @param approvals Approving votes.
    /// @param rejections Rejecting votes.
    event HeadFinalized(
        uint256 indexed proposalId,
        uint256 indexed jobId,
        uint64 indexed round,
        ProposalStatus status,
        uint8 approvals,
        uint8 rejections
    );

    /// @notice The job's head advanced: `head` is the head of the new round `round`, `parent` the head of
    ///         round `round - 1`. Followed by RoundStarted for `round`.
    /// @param jobId The job.
    /// @param round The new round.
    /// @param parent Head of the previous round.
    /// @param head New head.
    event HeadAdvanced(uint256 indexed jobId, uint64 indexed round, bytes32 parent, bytes32 head);

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    /// @notice A payable call that needs wei got none, or an amount argument was zero.
    error ZeroAmount();
    /// @notice No job has id `jobId`.
    error JobNotFound(uint256 jobId);
    /// @notice No claim has id `claimId`.
    error ClaimNotFound(uint256 claimId);
    /// @notice No head proposal has id `proposalId`.
    error ProposalNotFound(uint256 proposalId);
    /// @notice `quorum` must be >= 1 and <= `maxVotes`.
    error InvalidQuorum(uint32 quorum, uint32 maxVotes);
    /// @notice `maxVotes` exceeds `limit` (MAX_VOTES_PER_CLAIM).
    error TooManyMaxVotes(uint32 maxVotes, uint256 limit);
    /// @notice Both windows must be positive.
    error ZeroWindow(uint32 submitWindow, uint32 verifyWindow);
    /// @notice `verifyWindow` exceeds `limit` (MAX_VERIFY_WINDOW).
    error VerifyWindowTooLong(uint32 verifyWindow, uint256 limit);
    /// @notice A slash amount `slash` exceeds its minimum stake `minStake`.
    error SlashExceedsMinStake(uint256 slash, uint256 minStake);
    /// @notice A head or result must be a nonzero checkpoint id.
    error ZeroHash();
    /// @notice `role` is not Worker (1) or Verifier (2).
    error InvalidRole(uint8 role);
    /// @notice `caller` is not `owner` of job `jobId`.
    error NotJobOwner(uint256 jobId, address caller, address owner);
    /// @notice Job `jobId` has `openClaims` pending claims; finalize them first.
    error OpenClaims(uint256 jobId, uint256 openClaims);
    /// @notice Job `jobId` has only `available` wei of free escrow, `required` were needed.
    error InsufficientEscrow(uint256 jobId, uint256 available, uint256 required);
    /// @notice `account`'s active `role` stake `active` is below `required`.
    error InsufficientStake(address account, Role role, uint256 required, uint256 active);
    /// @notice The stake backs `openLocks` open claims or votes and cannot start unbonding.
    error StakeLocked(address account, Role role, uint32 openLocks);
    /// @notice Nothing is unbonding for `account` in `role`.
    error NothingUnbonding(address account, Role role);
    /// @notice The unbonding stake unlocks at `unlockBlock`; it is block `current`.
    error StakeStillBonded(uint64 unlockBlock, uint256 current);
    /// @notice The call targets round `given` but the job is in round `expected`.
    error WrongRound(uint256 expected, uint256 given);
    /// @notice A claim must train from the round's head `expected`, not `given`.
    error WrongBase(bytes32 expected, bytes32 given);
    /// @notice The submission window closed at block `closedAt` (exclusive); it is block `current`.
    error SubmissionWindowClosed(uint256 closedAt, uint256 current);
    /// @notice The submission window is open until block `closesAt` (exclusive); it is block `current`.
    error SubmissionWindowOpen(uint256 closesAt, uint256 current);
    /// @notice `worker` already has a claim in round `round` of job `jobId`.
    error AlreadyClaimed(uint256 jobId, uint64 round, address worker);
    /// @notice Claim `claimId` is `status`, not Pending.
    error ClaimNotPending(uint256 claimId, ClaimStatus status);
    /// @notice Proposal `proposalId` is `status`, not Pending.
    error ProposalNotPending(uint256 proposalId, ProposalStatus status);
    /// @notice A worker cannot vote on its own claim.
    error SelfAttestation(uint256 claimId, address worker);
    /// @notice The seed block `seedBlock` has not been mined yet (voting opens after it); it is block `current`.
    error SeedNotYetAvailable(uint256 seedBlock, uint256 current);
    /// @notice The seed block `seedBlock` is older than the EVM's 256-block blockhash horizon.
    error SeedNoLongerAvailable(uint256 seedBlock, uint256 current);
    /// @notice The vote's seed `given` is not blockhash(submitBlock + SEED_DELAY) = `expected`.
    error WrongSeed(bytes32 expected, bytes32 given);
    /// @notice The signed transcript root `given` differs from the claim's `expected`.
    error TranscriptMismatch(uint256 claimId, bytes32 expected, bytes32 given);
    /// @notice Voting closed after block `deadline`; it is block `current`.
    error VotingClosed(uint256 deadline, uint256 current);
    /// @notice Voting is open until block `deadline` (inclusive) and not all `maxVotes` votes are in; it is block
    ///         `current`.
    error VotingStillOpen(uint256 deadline, uint256 current);
    /// @notice All `maxVotes` votes have been cast on claim or proposal `id`.
    error VoteLimitReached(uint256 id, uint256 maxVotes);
    /// @notice `verifier` already voted on claim or proposal `id`.
    error AlreadyVoted(uint256 id, address verifier);
    /// @notice attestBatch got `attestations` attestations but `signatures` signatures.
    error LengthMismatch(uint256 attestations, uint256 signatures);
    /// @notice The accepted-claims root `given` differs from the round's accumulator `expected`.
    error WrongAcceptedClaimsRoot(bytes32 expected, bytes32 given);
    /// @notice A round without accepted claims keeps its head `expected`; `given` was proposed.
    error HeadMustNotChange(bytes32 expected, bytes32 given);
    /// @notice Job `jobId` already has Pending head proposal `proposalId`.
    error ProposalAlreadyPending(uint256 jobId, uint256 proposalId);
    /// @notice Round `round` of job `jobId` has not started; the job is in round `current`.
    error RoundNotStarted(uint256 jobId, uint256 round, uint256 current);
    /// @notice `account` has no credit to withdraw.
    error NothingToWithdraw(address account);
    /// @notice Sending `amount` wei to `to` failed.
    error TransferFailed(address to, uint256 amount);
    /// @notice The account-index space (2^31 - 1 accounts) is exhausted.
    error TooManyAccounts();

    // ---------------------------------------------------------------------------------------------
    // Jobs and escrow
    // ---------------------------------------------------------------------------------------------

    /// @notice Create a job escrowing msg.value; round 0 starts now with head `p.genesisHead`.
    /// @dev Reverts InvalidQuorum, TooManyMaxVotes, ZeroWindow, VerifyWindowTooLong, SlashExceedsMinStake,
    ///      ZeroHash, or SafeCast's error for amounts above 2^96 - 1.
    /// @param p Job parameters.
    /// @return jobId The new job's id (from 1).
    function createJob(JobParams calldata p) external payable returns (uint256 jobId);

    /// @notice Add msg.value to a job's available escrow. Anyone may fund any job.
    /// @param jobId The job.
    function fund(uint256 jobId) external payable;

    /// @notice The owner takes back `amount` of available escrow; only while the job has no pending claims.
    /// @param jobId The job.
    /// @param amount Wei to withdraw (> 0, <= available escrow).
    function withdrawEscrow(uint256 jobId, uint256 amount) external;

    // ---------------------------------------------------------------------------------------------
    // Stakes
    // ---------------------------------------------------------------------------------------------

    /// @notice Bond msg.value as `role` stake (1 = Worker, 2 = Verifier); adds to an existing stake.
    /// @param role The role.
    function stake(uint8 role) external payable;

    /// @notice Move `amount` from active stake to unbonding; it unlocks at block.number + unbondingDelay.
    ///         Earlier unbonding amounts are merged and re-timed to the new unlock block.
    /// @dev Reverts StakeLocked while the stake backs an open claim or vote.
    /// @param role The role.
    /// @param amount Wei to unbond (> 0, <= active).
    function requestUnstake(uint8 role, uint256 amount) external;

    /// @notice Pay out the whole unbonding amount once its unlock block is reached.
    /// @param role The role.
    function withdrawStake(uint8 role) external;

    // ---------------------------------------------------------------------------------------------
    // Claims and attestations
    // ---------------------------------------------------------------------------------------------

    /// @notice Submit a claim of `steps` training steps from the round's head `base` to `result`.
    /// @dev Needs a staked worker (active >= minWorkerStake), the current round, an open submission window,
    ///      one claim per worker per round, and free escrow >= rewardPerClaim + verifierFee * maxVotes,
    ///      which is reserved. Locks the worker's stake until finalization.
    /// @param jobId The job.
    /// @param round The job's current round.
    /// @param base The round's head.
    /// @param result Checkpoint id of the result (nonzero).
    /// @param transcriptRoot Merkle root of the transcript.
    /// @param steps Steps trained.
    /// @param artifactURI Where the artifacts are served; emitted, not stored.
    /// @return claimId The new claim id (global, from 1).
    function submitClaim(
        uint256 jobId,
        uint64 round,
        bytes32 base,
        bytes32 result,
        bytes32 transcriptRoot,
        uint32 steps,
        string calldata artifactURI
    ) external returns (uint256 claimId);

    /// @notice Vote on a claim as msg.sender, a staked verifier that is not the claim's worker.
    /// @dev Open from block submitBlock + SEED_DELAY + 1 through deadline = submitBlock + SEED_DELAY + verifyWindow.
    ///      Locks the verifier's stake until the claim is finalized.
    /// @param claimId The claim.
    /// @param approve The vote.
    /// @param seed Must equal blockhash(submitBlock + SEED_DELAY).
    function attest(uint256 claimId, bool approve, bytes32 seed) external;

    /// @notice Relay EIP-712-signed votes; each counts as attest() by its signer, and each
    ///         attestation's transcriptRoot must equal its claim's.
    /// @param atts The signed attestations.
    /// @param signatures 65-byte (r, s, v) signatures, one per attestation, in order.
    function attestBatch(Attestation[] calldata atts, bytes[] calldata signatures) external;

    /// @notice Settle a claim after its deadline, or early once maxVotes votes are in.
    /// @dev Accepted if approvals >= quorum and approvals > rejections; Rejected if rejections >= quorum and
    ///      rejections >= approvals; else Expired. Credits, slashes and returns unused reservation as described
    ///      in contracts/README.md; unlocks every stake the claim locked.
    /// @param claimId The claim.
    function finalizeClaim(uint256 claimId) external;

    // ---------------------------------------------------------------------------------------------
    // Heads
    // ---------------------------------------------------------------------------------------------

    /// @notice Propose the next head of job `jobId` to close round `round`.
    /// @dev Only for the current round, after its submission window, with no pending claims, no other
    ///      Pending proposal for the job, and `acceptedClaimsRoot` equal to the round's accumulator. A round
    ///      without accepted claims must keep its head.
    /// @param jobId The job.
    /// @param round The job's current round.
    /// @param newHead The proposed head of the next round.
    /// @param acceptedClaimsRoot The round's accepted-results accumulator.
    /// @return proposalId The new proposal id (global, from 1).
    function proposeHead(uint256 jobId, uint64 round, bytes32 newHead, bytes32 acceptedClaimsRoot)
        external
        returns (uint256 proposalId);

    /// @notice Vote on a head proposal as msg.sender, a staked verifier; through proposeBlock + verifyWindow.
    /// @dev No fees or slashing on head votes in v1, so a head vote locks no stake.
    /// @param proposalId The proposal.
    /// @param approve The vote.
    function attestHead(uint256 proposalId, bool approve) external;

    /// @notice Settle a head proposal after its window, or early once maxVotes votes are in. Accepted
    ///         (approvals >= quorum and approvals > rejections) advances the job to the next round.
    /// @param proposalId The proposal.
    function finalizeHead(uint256 proposalId) external;

    // ---------------------------------------------------------------------------------------------
    // Payments
    // ---------------------------------------------------------------------------------------------

    /// @notice Pay the caller all of its credit (rewards, fees, slash shares).
    function withdraw() external;

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice Blocks between a claim's submission and its seed block.
    /// @return 2.
    function SEED_DELAY() external view returns (uint64);

    /// @notice Longest verify window, so the seed block's hash stays within the 256-block horizon.
    /// @return 200.
    function MAX_VERIFY_WINDOW() external view returns (uint32);

    /// @notice Most votes a claim or head proposal can take.
    /// @return 16.
    function MAX_VOTES_PER_CLAIM() external view returns (uint32);

    /// @notice Blocks an unstake request waits before withdrawStake.
    /// @return The delay set at deployment.
    function unbondingDelay() external view returns (uint64);

    /// @notice A stake of `account` for `role`.
    /// @param account The staker.
    /// @param role 1 = Worker, 2 = Verifier.
    /// @return active Bonded stake.
    /// @return unbonding Stake waiting for `unlockBlock`.
    /// @return unlockBlock First block at which `unbonding` may be withdrawn.
    /// @return openLocks Open claims or votes this stake backs.
    function stakeOf(address account, uint8 role)
        external
        view
        returns (uint256 active, uint256 unbonding, uint64 unlockBlock, uint32 openLocks);

    /// @notice Withdrawable credit of `account`.
    /// @param account The account.
    /// @return Wei.
    function creditOf(address account) external view returns (uint256);

    /// @notice A job.
    /// @param jobId The job.
    /// @return The job view.
    function getJob(uint256 jobId) external view returns (JobView memory);

    /// @notice A claim.
    /// @param claimId The claim.
    /// @return The claim view.
    function getClaim(uint256 claimId) external view returns (ClaimView memory);

    /// @notice Votes cast on a claim, in casting order.
    /// @param claimId The claim.
    /// @return voters The voters.
    /// @return approves Their votes.
    function votesOf(uint256 claimId) external view returns (address[] memory voters, bool[] memory approves);

    /// @notice A head proposal.
    /// @param proposalId The proposal.
    /// @return The proposal view.
    function getProposal(uint256 proposalId) external view returns (ProposalView memory);

    /// @notice The sampling seed of a claim: blockhash(submitBlock + SEED_DELAY).
    /// @dev Reverts SeedNotYetAvailable before that block is mined and SeedNoLongerAvailable after 256 blocks.
    /// @param claimId The claim.
    /// @return The seed.
    function claimSeed(uint256 claimId) external view returns (bytes32);

    /// @notice The EIP-712 digest a verifier signs for `att` on this chain and contract.
    /// @param att The attestation.
    /// @return The digest.
    function attestationDigest(Attestation calldata att) external view returns (bytes32);

    /// @notice A round of a job.
    /// @param jobId The job.
    /// @param round A round <= the current one.
    /// @return startBlock Block the round started.
    /// @return head Its head.
    /// @return openClaims Its pending claims (0 for past rounds).
    /// @return acceptedCount Claims accepted in it.
    /// @return acceptedAcc keccak256(abi.encode(acc, claimId, result)) folded over accepted claims in
    ///         finalization order, from 0.
    function roundInfo(uint256 jobId, uint64 round)
        external
        view
        returns (uint64 startBlock, bytes32 head, uint32 openClaims, uint32 acceptedCount, bytes32 acceptedAcc);

    /// @notice Sum of all jobs' escrow, including reservations of pending claims.
    /// @return Wei.
    function totalEscrow() external view returns (uint256);

    /// @notice Sum of all credits not yet withdrawn.
    /// @return Wei.
    function totalCredits() external view returns (uint256);

    /// @notice Sum of all stakes, active and unbonding.
    /// @return Wei.
    function totalStakes() external view returns (uint256);

    /// @notice Ids issued so far: the last job, claim and proposal id (0 if none).
    /// @return lastJobId Last job id.
    /// @return lastClaimId Last claim id.
    /// @return lastProposalId Last proposal id.
    function counters() external view returns (uint256 lastJobId, uint256 lastClaimId, uint256 lastProposalId);
}
