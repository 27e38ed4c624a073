// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ILedgerV2
/// @notice Interface of record of the gradchain v2 ledger (PROTOCOL.md v2 section 4): stakes with per-obligation
///         bonds, an append-only verifier seat registry, claims settled by a drawn committee, challenges decided
///         by a drawn jury with commit-reveal, optimistic heads open to the same challenge, pull payments.
///         See contracts/v2.md for the state machines, windows and deviations.
/// @dev Every state change emits an event (past tense, indexed ids); every failure is a named custom error.
///      Amounts are in wei; roles travel as uint8 (1 worker, 2 verifier).
interface ILedgerV2 {
    // ---------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------

    /// @notice What a stake is bonded for; one stake per (account, role).
    enum Role {
        None,
        Worker,
        Verifier
    }

    /// @notice Claim lifecycle: Pending, then exactly one terminal status.
    enum ClaimStatus {
        None,
        Pending,
        Accepted,
        Rejected,
        Expired
    }

    /// @notice What a dispute is about.
    enum DisputeKind {
        None,
        Claim,
        Head
    }

    /// @notice Dispute lifecycle: Open, then Resolved (a verdict) or NoVerdict (juries ran out), exactly once.
    enum DisputeStatus {
        None,
        Open,
        Resolved,
        NoVerdict
    }

    /// @notice Head proposal lifecycle: Pending, then Accepted (round advanced), Rejected (proven wrong) or
    ///         Dropped (its dispute closed without a verdict), exactly once.
    enum ProposalStatus {
        None,
        Pending,
        Accepted,
        Rejected,
        Dropped
    }

    /// @notice Why an account was credited.
    enum CreditReason {
        Reward,
        Fee,
        SlashShare
    }

    /// @notice Why stake was slashed.
    enum SlashReason {
        ClaimBond,
        ApprovalBond,
        ChallengeBond,
        JurorBond,
        HeadBond,
        ExpiryPenalty,
        MissPenalty
    }

    /// @notice Which job parameter failed validation (see InvalidJobParam).
    enum Param {
        GenesisHead,
        CommitteeSize,
        Quorum,
        JurySize,
        SamplesPerMember,
        CheckpointEvery,
        MaxClaimsPerRound,
        MaxRedraws,
        SubmitWindow,
        VerifyWindow,
        ChallengeWindow,
        CommitWindow,
        RevealWindow,
        HeadWindow,
        ClaimBond,
        ApprovalBond,
        ChallengeBond,
        JurorBond,
        HeadBond,
        ExpiryPenalty,
        MissPenalty,
        Reservation
    }

    /// @notice Parameters of a job, fixed at creation (field order is the storage packing).
    /// @param specHash keccak256 of the canonical job-spec JSON.
    /// @param genesisHead Checkpoint id of round 0's head; nonzero.
    /// @param rewardPerClaim Credited to the worker of an accepted claim.
    /// @param approvalFee Credited to each approver of an accepted claim.
    /// @param committeeSize D, seats drawn per claim, in [1, MAX_COMMITTEE].
    /// @param quorum Approvals an accepted claim needs, in [1, D].
    /// @param jurySize J, seats drawn per jury, in [1, MAX_JURY].
    /// @param samplesPerMember s, sample draws per member, in [1, MAX_SAMPLES].
    /// @param checkpointEvery k, steps per segment (S = steps / k); > 0.
    /// @param claimBond Locked from the worker's stake per open claim; > 0.
    /// @param approvalBond Locked from an approver's verifier stake until the claim is final; > 0.
    /// @param submitWindow Blocks after a round starts during which claims are accepted; > 0.
    /// @param verifyWindow Votes are taken in (seedBlock, seedBlock + verifyWindow]; > 0.
    /// @param challengeWindow Challenges are taken until seedBlock + verifyWindow + challengeWindow; > 0.
    /// @param challengeBond Locked per challenge (claims and heads); > 0.
    /// @param jurorBond Locked per juror commitment; > 0.
    /// @param commitWindow Jurors commit in (jurySeedBlock, jurySeedBlock + commitWindow]; > 0.
    /// @param revealWindow Then reveal during the next revealWindow blocks; > 0.
    /// @param headWindow Blocks after a head proposal during which it can be challenged; > 0.
    /// @param maxClaimsPerRound Cap on claims submitted per round; > 0.
    /// @param headBond Locked from the proposer's verifier stake per head proposal; > 0.
    /// @param expiryPenalty Taken from the worker (to escrow) when its claim expires; <= claimBond.
    /// @param maxRedraws Fresh juries drawn when too few jurors reveal, in [0, MAX_REDRAWS].
    /// @param missPenalty Taken (to escrow) from a drawn member that neither approved nor challenged;
    ///        <= approvalBond.
    struct JobParams {
        bytes32 specHash;
        bytes32 genesisHead;
        uint96 rewardPerClaim;
        uint96 approvalFee;
        uint8 committeeSize;
        uint8 quorum;
        uint8 jurySize;
        uint8 samplesPerMember;
        uint32 checkpointEvery;
        uint96 claimBond;
        uint96 approvalBond;
        uint32 submitWindow;
        uint16 verifyWindow;
        uint16 challengeWindow;
        uint96 challengeBond;
        uint96 jurorBond;
        uint16 commitWindow;
        uint16 revealWindow;
        uint16 headWindow;
        uint16 maxClaimsPerRound;
        uint96 headBond;
        uint96 expiryPenalty;
        uint8 maxRedraws;
        uint96 missPenalty;
    }

    /// @notice A job's mutable state.
    struct JobState {
        address owner;
        uint256 escrow; // available (unreserved)
        uint256 reserved; // held for Pending claims
        uint64 round;
        uint64 roundStart;
        uint256 openClaims;
        uint256 roundClaims;
        uint256 acceptedCount; // accepted claims of the current round
        bytes32 head;
        bytes32 accumulator; // of the current round
        uint256 pendingProposal;
    }

    /// @notice A claim as stored, with derived blocks.
    struct ClaimInfo {
        address worker;
        uint64 jobId;
        uint64 round;
        uint64 submitBlock;
        uint64 seedBlock;
        uint64 voteDeadline; // seedBlock + verifyWindow
        uint64 challengeDeadline; // voteDeadline + challengeWindow
        uint256 seatCount;
        uint256 segments; // S
        ClaimStatus status;
        uint256 approvedMask; // bit p = committee position p approved
        uint256 disputeId;
        bytes32 result;
        bytes32 transcriptRoot;
    }

    /// @notice A seat of the registry.
    struct Seat {
        address account;
        uint40 registeredAt;
        uint40 retiredAt; // 0 = live
    }

    /// @notice A dispute as stored, with derived blocks of its current jury attempt.
    struct DisputeInfo {
        DisputeKind kind;
        DisputeStatus status;
        uint256 subjectId; // claimId or proposalId
        uint256 jobId;
        uint64 openBlock;
        uint256 seatCount; // registry length at openBlock
        uint256 attempt; // 0 = first jury
        uint64 jurySeedBlock; // attemptStart + SEED_DELAY
        uint64 commitDeadline;
        uint64 revealDeadline;
        uint256[] segments; // named segments (head disputes: one entry, 0)
        uint256 faultyMask; // after a verdict: bit i = segments[i] proven faulty
        uint256 reveals;
        address[] challengers;
    }

    /// @notice A head proposal.
    struct ProposalInfo {
        address proposer;
        uint64 jobId;
        uint64 round;
        ProposalStatus status;
        uint64 proposeBlock;
        uint256 disputeId;
        bytes32 parent;
        bytes32 newHead;
    }

    /// @notice A stake record.
    struct StakeInfo {
        uint256 active;
        uint256 locked; // == sum of the bonds of open obligations, <= active
        uint256 unbonding;
        uint256 unlockBlock;
        uint256 credit;
        uint256 seatPlusOne; // verifier: 1 + index of its latest seat, 0 = never seated
    }

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    /// @notice A job was created with its escrow; round 0 starts (RoundStarted follows).
    event JobCreated(
        uint256 indexed jobId, address indexed owner, bytes32 specHash, bytes32 genesisHead, uint256 escrow, JobParams params
    );
    /// @notice Round `round` of `jobId` started at `startBlock` with head `head`.
    event RoundStarted(uint256 indexed jobId, uint64 indexed round, bytes32 head, uint64 startBlock);
    /// @notice Escrow was added.
    event JobFunded(uint256 indexed jobId, address indexed funder, uint256 amount, uint256 newEscrow);
    /// @notice The owner withdrew available escrow.
    event EscrowWithdrawn(uint256 indexed jobId, address indexed owner, uint256 amount, uint256 newEscrow);
    /// @notice Stake was added.
    event Staked(address indexed account, Role indexed role, uint256 amount, uint256 newActive);
    /// @notice Stake moved from active to unbonding.
    event UnstakeRequested(
        address indexed account, Role indexed role, uint256 amount, uint256 newActive, uint256 newUnbonding, uint64 unlockBlock
    );
    /// @notice Unbonded stake was paid out.
    event StakeWithdrawn(address indexed account, Role indexed role, uint256 amount);
    /// @notice A seat was appended to the registry.
    event SeatRegistered(uint256 indexed seatIndex, address indexed account, uint64 registeredAt);
    /// @notice A seat retired (unstake request, or slashed below seatStake).
    event SeatRetired(uint256 indexed seatIndex, address indexed account, uint64 retiredAt);
    /// @notice A claim was submitted; it locked the job's claimBond and reserved reward + D fees.
    event ClaimSubmitted(
        uint256 indexed claimId,
        uint256 indexed jobId,
        uint64 round,
        address indexed worker,
        bytes32 base,
        bytes32 result,
        bytes32 transcriptRoot,
        uint32 steps,
        string artifactURI,
        uint64 submitBlock,
        uint256 seatCount
    );
    /// @notice A committee member approved (locking its approvalBond), at committee position `position`.
    event Approved(uint256 indexed claimId, address indexed member, uint256 seatIndex, uint256 position);
    /// @notice A challenge (locking challengeBond) named segments, each optionally held against an approver's draw.
    event Challenged(
        uint256 indexed claimId,
        uint256 indexed disputeId,
        address indexed challenger,
        uint256[] segments,
        address[] approvers,
        uint256[] drawIndices
    );
    /// @notice A dispute opened (first challenge of a claim, or a head challenge).
    event DisputeOpened(
        uint256 indexed disputeId, DisputeKind kind, uint256 indexed subjectId, uint256 indexed jobId, uint64 openBlock, uint256 seatCount
    );
    /// @notice A head proposal was challenged.
    event HeadChallenged(uint256 indexed proposalId, uint256 indexed disputeId, address indexed challenger);
    /// @notice A jury was seated (drawn) for an attempt.
    event JurySeated(uint256 indexed disputeId, uint256 attempt, uint256[] seats);
    /// @notice A drawn juror committed (locking jurorBond).
    event VerdictCommitted(uint256 indexed disputeId, uint256 attempt, address indexed juror, bytes32 commitment);
    /// @notice A juror revealed its verdicts (bit i = segment i faulty).
    event VerdictRevealed(uint256 indexed disputeId, uint256 attempt, address indexed juror, uint256 verdicts);
    /// @notice Too few reveals: a fresh jury is drawn from `startBlock` on.
    event JuryRedrawn(uint256 indexed disputeId, uint256 attempt, uint64 startBlock);
    /// @notice A dispute closed: Resolved with `faultyMask`, or NoVerdict.
    event DisputeResolved(uint256 indexed disputeId, DisputeStatus status, uint256 faultyMask, uint256 reveals);
    /// @notice A claim reached its terminal status.
    event ClaimFinalized(uint256 indexed claimId, uint256 indexed jobId, uint64 round, ClaimStatus status, uint256 approvals);
    /// @notice An account was credited (pull payment).
    event Credited(address indexed account, uint256 indexed subjectId, uint256 amount, CreditReason reason);
    /// @notice Stake was slashed (subject: claimId for claim/approval/expiry/miss, disputeId for challenge/juror,
    ///         proposalId for head bonds).
    event Slashed(address indexed account, Role role, uint256 indexed subjectId, uint256 amount, SlashReason reason);
    /// @notice Wei went back to the job's available escrow (unused reservation, penalties, dust).
    event EscrowReleased(uint256 indexed jobId, uint256 indexed subjectId, uint256 amount, uint256 newEscrow);
    /// @notice A head was proposed (locking headBond).
    event HeadProposed(
        uint256 indexed proposalId,
        uint256 indexed jobId,
        uint64 round,
        address indexed proposer,
        bytes32 parent,
        bytes32 newHead,
        bytes32 acceptedClaimsRoot,
        uint64 proposeBlock
    );
    /// @notice A head proposal reached its terminal status.
    event HeadFinalized(uint256 indexed proposalId, uint256 indexed jobId, uint64 round, ProposalStatus status);
    /// @notice The job's head advanced: `round` is the new round.
    event HeadAdvanced(uint256 indexed jobId, uint64 indexed round, bytes32 parent, bytes32 head);
    /// @notice Credits were paid out.
    event Withdrawn(address indexed account, uint256 amount);

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    /// @notice A job parameter is out of range.
    error InvalidJobParam(Param param, uint256 value, uint256 limit);
    /// @notice No such job.
    error JobNotFound(uint256 jobId);
    /// @notice Only the job owner may do this.
    error NotJobOwner(uint256 jobId, address caller);
    /// @notice Escrow cannot be withdrawn while claims are open.
    error ClaimsOpen(uint256 jobId, uint256 openClaims);
    /// @notice Not enough available escrow.
    error InsufficientEscrow(uint256 jobId, uint256 needed, uint256 available);
    /// @notice Zero value or amount.
    error ZeroAmount();
    /// @notice Role is not 1 (worker) or 2 (verifier).
    error InvalidRole(uint8 role);
    /// @notice Unlocked active stake is below what is needed.
    error InsufficientUnlockedStake(address account, Role role, uint256 needed, uint256 unlocked);
    /// @notice Nothing is unbonding.
    error NothingUnbonding(address account, Role role);
    /// @notice Unbonding stake is not yet withdrawable.
    error StakeStillBonded(uint256 unlockBlock, uint256 currentBlock);
    /// @notice Total stake would exceed its cap.
    error StakeCapExceeded(uint256 total, uint256 cap);
    /// @notice The seat registry is full.
    error SeatRegistryFull(uint256 seats);
    /// @notice Nothing to withdraw.
    error NothingToWithdraw(address account);
    /// @notice ETH transfer failed.
    error TransferFailed(address to, uint256 amount);
    /// @notice The round given is not the job's current round.
    error WrongRound(uint256 jobId, uint256 given, uint256 current);
    /// @notice base is not the round's head.
    error WrongBase(bytes32 given, bytes32 head);
    /// @notice The submission window of the round is closed.
    error SubmitWindowClosed(uint256 jobId, uint256 deadline, uint256 currentBlock);
    /// @notice The submission window of the round is still open and the round is not full.
    error SubmitWindowOpen(uint256 jobId, uint256 deadline, uint256 currentBlock);
    /// @notice result must be nonzero.
    error ZeroResult();
    /// @notice steps must be a positive multiple of checkpointEvery with at most MAX_SEGMENTS segments.
    error InvalidSteps(uint256 steps, uint256 checkpointEvery);
    /// @notice This worker already claimed this round.
    error DuplicateClaim(uint256 jobId, uint256 round, address worker);
    /// @notice The round's claim cap is reached.
    error RoundFull(uint256 jobId, uint256 round, uint256 cap);
    /// @notice No such claim.
    error ClaimNotFound(uint256 claimId);
    /// @notice The claim is not Pending.
    error ClaimNotPending(uint256 claimId, ClaimStatus status);
    /// @notice Outside the voting window (seedBlock, seedBlock + verifyWindow].
    error VotingClosed(uint256 claimId, uint256 opensAfter, uint256 closesAt, uint256 currentBlock);
    /// @notice Outside the challenge window (seedBlock, seedBlock + verifyWindow + challengeWindow].
    error ChallengeClosed(uint256 claimId, uint256 opensAfter, uint256 closesAt, uint256 currentBlock);
    /// @notice The account is not in the claim's committee.
    error NotCommitteeMember(uint256 claimId, address account);
    /// @notice The member already approved.
    error AlreadyApproved(uint256 claimId, address member);
    /// @notice The account already challenged this dispute.
    error AlreadyChallenged(uint256 subjectId, address account);
    /// @notice A claim's worker cannot vote on or challenge it.
    error WorkerCannotVote(uint256 claimId, address worker);
    /// @notice The challenger is neither a committee member nor a live seat, or is a party.
    error NotEligibleChallenger(uint256 subjectId, address account);
    /// @notice Bad challenge arrays (empty, mismatched, too many segments).
    error InvalidChallenge(uint256 segments, uint256 approvers, uint256 drawIndices);
    /// @notice A named segment index is not below S.
    error SegmentOutOfRange(uint256 segment, uint256 segments);
    /// @notice A held-against entry does not point at the approver's own sample.
    error NotInSample(address approver, uint256 drawIndex, uint256 segment);
    /// @notice Too many segments or challengers for one dispute.
    error DisputeFull(uint256 disputeId);
    /// @notice The dispute's jury seed block has passed: no more parties or segments.
    error DisputeSealed(uint256 disputeId, uint256 sealBlock, uint256 currentBlock);
    /// @notice No such dispute.
    error DisputeNotFound(uint256 disputeId);
    /// @notice The dispute is not Open.
    error DisputeNotOpen(uint256 disputeId, DisputeStatus status);
    /// @notice The claim's or proposal's dispute is still open.
    error DisputeUnresolved(uint256 disputeId);
    /// @notice Outside the jury's commit window.
    error CommitClosed(uint256 disputeId, uint256 opensAfter, uint256 closesAt, uint256 currentBlock);
    /// @notice Outside the jury's reveal window.
    error RevealClosed(uint256 disputeId, uint256 opensAfter, uint256 closesAt, uint256 currentBlock);
    /// @notice The reveal window has not ended.
    error RevealStillOpen(uint256 disputeId, uint256 closesAt, uint256 currentBlock);
    /// @notice The account is not on the current jury.
    error NotJuror(uint256 disputeId, address account);
    /// @notice The juror already committed this attempt.
    error AlreadyCommitted(uint256 disputeId, address juror);
    /// @notice The juror has no commitment to reveal, or already revealed.
    error NothingToReveal(uint256 disputeId, address juror);
    /// @notice The reveal does not match the commitment.
    error CommitmentMismatch(uint256 disputeId, address juror);
    /// @notice verdicts has bits beyond the dispute's segments.
    error InvalidVerdicts(uint256 verdicts, uint256 segments);
    /// @notice The window has not passed yet.
    error WindowOpen(uint256 closesAt, uint256 currentBlock);
    /// @notice The blockhash of `seedBlock` is not available (not mined yet, or beyond 256 blocks and never recorded).
    error SeedUnavailable(uint256 seedBlock, uint256 currentBlock);
    /// @notice Claims of the round are still open.
    error RoundNotSettled(uint256 jobId, uint256 openClaims);
    /// @notice The job already has a Pending proposal.
    error ProposalPending(uint256 jobId, uint256 proposalId);
    /// @notice acceptedClaimsRoot differs from the round's accumulator.
    error WrongAcceptedRoot(bytes32 given, bytes32 expected);
    /// @notice newHead is zero, or differs from head in a round without accepted claims.
    error InvalidHead(bytes32 newHead);
    /// @notice No such proposal.
    error ProposalNotFound(uint256 proposalId);
    /// @notice The proposal is not Pending.
    error ProposalNotPending(uint256 proposalId, ProposalStatus status);
    /// @notice Outside the head challenge window.
    error HeadWindowClosed(uint256 proposalId, uint256 closesAt, uint256 currentBlock);
    /// @notice The proposal was already challenged.
    error HeadAlreadyChallenged(uint256 proposalId, uint256 disputeId);
    /// @notice A module address given to the constructor has no code.
    error ModuleMissing();
    /// @notice delegateView is the ledger's own plumbing.
    error NotSelf(address caller);
    /// @notice Array lengths differ.
    error LengthMismatch(uint256 a, uint256 b);

    // ---------------------------------------------------------------------------------------------
    // Jobs and escrow
    // ---------------------------------------------------------------------------------------------

    /// @notice Create a job with msg.value as escrow; round 0 starts with head genesisHead. Ids start at 1.
    /// @param p The job's parameters (validated; InvalidJobParam names the first bad one).
    /// @return jobId The new job's id.
    function createJob(JobParams calldata p) external payable returns (uint256 jobId);

    /// @notice Add msg.value to a job's available escrow.
    /// @param jobId The job.
    function fund(uint256 jobId) external payable;

    /// @notice Owner withdraws available escrow, only while no claim is Pending.
    /// @param jobId The job.
    /// @param amount Wei to withdraw (<= available escrow).
    function withdrawEscrow(uint256 jobId, uint256 amount) external;

    // ---------------------------------------------------------------------------------------------
    // Stakes and seats
    // ---------------------------------------------------------------------------------------------

    /// @notice Add msg.value to the caller's active stake of `role`. A verifier reaching seatStake without a
    ///         live seat gets a new seat appended to the registry.
    /// @param role 1 worker, 2 verifier.
    function stake(uint8 role) external payable;

    /// @notice Move `amount` of unlocked active stake to unbonding (unlock after unbondingDelay). A verifier's
    ///         live seat retires.
    /// @param role 1 worker, 2 verifier.
    /// @param amount Wei, <= active - locked.
    function requestUnstake(uint8 role, uint256 amount) external;

    /// @notice Pay out the whole unbonding stake of `role` once unlocked.
    /// @param role 1 worker, 2 verifier.
    function withdrawStake(uint8 role) external;

    // ---------------------------------------------------------------------------------------------
    // Claims
    // ---------------------------------------------------------------------------------------------

    /// @notice Submit a claim for the current round: locks claimBond, reserves reward + D fees, records the
    ///         seat count. seed = blockhash(submitBlock + SEED_DELAY).
    /// @param jobId The job.
    /// @param round The job's current round.
    /// @param base The round's head.
    /// @param result The claimed end checkpoint id (nonzero).
    /// @param transcriptRoot Merkle root of the transcript segments.
    /// @param steps Training steps (a positive multiple of checkpointEvery).
    /// @param artifactURI Where the artifacts are served (emitted only).
    /// @return claimId The new claim's id (global, from 1).
    function submitClaim(
        uint256 jobId,
        uint64 round,
        bytes32 base,
        bytes32 result,
        bytes32 transcriptRoot,
        uint32 steps,
        string calldata artifactURI
    ) external returns (uint256 claimId);

    /// @notice The caller, a committee member, approves: locks approvalBond and binds it to its sample.
    /// @param claimId The claim.
    function approve(uint256 claimId) external;

    /// @notice Relay a member's EIP-712 Approval(claimId, transcriptRoot, seed) signature.
    /// @param claimId The claim.
    /// @param signature 65-byte signature over the Approval with the claim's stored root and seed.
    function approveBySig(uint256 claimId, bytes calldata signature) external;

    /// @notice Relay many approvals (any claims, any members) in one transaction; entries of one claim should be
    ///         consecutive (the committee is computed once per run). An entry whose member already approved
    ///         (directly, while the relayer waited) is skipped; every other failure reverts the batch.
    /// @param claimIds Claim of each signature.
    /// @param signatures 65-byte signatures.
    function approveBatch(uint256[] calldata claimIds, bytes[] calldata signatures) external;

    /// @notice Challenge named segments of a claim (member or live verifier seat; locks challengeBond). The
    ///         first challenge opens the claim's dispute; later ones add segments until its jury seed block.
    /// @param claimId The claim.
    /// @param segments Segment indices (< S), 1..MAX_DISPUTE_SEGMENTS.
    /// @param approvers For each segment, the approver held against, or address(0).
    /// @param drawIndices For each segment, the approver's draw index i (< samplesPerMember) with
    ///        sampleIndex(seed, claimId, approver, i, S) == segment.
    /// @return disputeId The claim's dispute.
    function challenge(
        uint256 claimId,
        uint256[] calldata segments,
        address[] calldata approvers,
        uint256[] calldata drawIndices
    ) external returns (uint256 disputeId);

    /// @notice Settle a claim after its challenge window (and any dispute): Accepted iff nothing was proven
    ///         faulty and approvals >= quorum, else Expired. Drawn members that did nothing pay missPenalty.
    /// @param claimId The claim.
    function finalizeClaim(uint256 claimId) external;

    /// @notice finalizeClaim for many claims.
    /// @param claimIds The claims.
    function finalizeClaims(uint256[] calldata claimIds) external;

    // ---------------------------------------------------------------------------------------------
    // Juries
    // ---------------------------------------------------------------------------------------------

    /// @notice A drawn juror commits keccak256(abi.encode(verdicts, salt, juror)), locking jurorBond.
    /// @param disputeId The dispute.
    /// @param commitment The commitment.
    function commitVerdict(uint256 disputeId, bytes32 commitment) external;

    /// @notice Reveal a commitment; bit i of verdicts = segment i of the dispute is faulty (head: head wrong).
    /// @param disputeId The dispute.
    /// @param verdicts The verdict bits.
    /// @param salt The commitment's salt.
    function revealVerdict(uint256 disputeId, uint256 verdicts, bytes32 salt) external;

    /// @notice After the reveal window: apply the verdict (PROTOCOL.md 4.3), redraw a jury, or close without one.
    /// @param disputeId The dispute.
    function resolveDispute(uint256 disputeId) external;

    // ---------------------------------------------------------------------------------------------
    // Heads
    // ---------------------------------------------------------------------------------------------

    /// @notice Propose the next head (locks headBond from the caller's verifier stake) once the round's submissions
    ///         are closed (its submission window passed, or it holds maxClaimsPerRound claims) and every claim of
    ///         the round is final.
    /// @param jobId The job.
    /// @param round The current round.
    /// @param newHead The float32 mean of the accepted results (== head if none was accepted).
    /// @param acceptedClaimsRoot Must equal the round's accumulator.
    /// @return proposalId The proposal.
    function proposeHead(uint256 jobId, uint64 round, bytes32 newHead, bytes32 acceptedClaimsRoot)
        external
        returns (uint256 proposalId);

    /// @notice Challenge a head proposal during its headWindow (live verifier seat, locks challengeBond).
    /// @param proposalId The proposal.
    /// @return disputeId The dispute opened.
    function challengeHead(uint256 proposalId) external returns (uint256 disputeId);

    /// @notice Accept an unchallenged (or rightly challenged) proposal after headWindow: advances the round.
    /// @param proposalId The proposal.
    function finalizeHead(uint256 proposalId) external;

    // ---------------------------------------------------------------------------------------------
    // Payments
    // ---------------------------------------------------------------------------------------------

    /// @notice Pay the caller's credits (both roles).
    function withdraw() external;

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice Plumbing for the views that run in LedgerV2Views: only the ledger may call it (through a
    ///         staticcall from its own view functions); returns that view's raw return data.
    /// @param data The view's calldata.
    function delegateView(bytes calldata data) external;

    /// @notice Blocks from submission (dispute open) to the seed block.
    function SEED_DELAY() external view returns (uint64);
    /// @notice Blocks an unstake waits.
    function unbondingDelay() external view returns (uint64);
    /// @notice Verifier stake that holds a seat.
    function seatStake() external view returns (uint256);
    /// @notice A job's parameters.
    function getJobParams(uint256 jobId) external view returns (JobParams memory);
    /// @notice A job's state.
    function getJob(uint256 jobId) external view returns (JobState memory);
    /// @notice A claim.
    function getClaim(uint256 claimId) external view returns (ClaimInfo memory);
    /// @notice A claim's committee (seat indices in draw order); reverts SeedUnavailable if its seed is unknown.
    function committeeOf(uint256 claimId) external view returns (uint256[] memory seats);
    /// @notice Whether `account` is in the claim's committee, and its position.
    function isCommitteeMember(uint256 claimId, address account) external view returns (bool member, uint256 position);
    /// @notice A dispute.
    function getDispute(uint256 disputeId) external view returns (DisputeInfo memory);
    /// @notice The current attempt's jury (seat indices in draw order); reverts SeedUnavailable before its seed.
    function juryOf(uint256 disputeId) external view returns (uint256[] memory seats);
    /// @notice A head proposal.
    function getProposal(uint256 proposalId) external view returns (ProposalInfo memory);
    /// @notice A seat of the registry.
    function seatAt(uint256 index) external view returns (Seat memory);
    /// @notice Length of the seat registry.
    function seatCount() external view returns (uint256);
    /// @notice A stake record.
    function stakeOf(address account, uint8 role) external view returns (StakeInfo memory);
    /// @notice Credits of both roles.
    function creditOf(address account) external view returns (uint256);
    /// @notice Escrow (available + reserved) of all jobs.
    function totalEscrow() external view returns (uint256);
    /// @notice Credits not yet withdrawn.
    function totalCredits() external view returns (uint256);
    /// @notice Active + unbonding stake of all records.
    function totalStakes() external view returns (uint256);
    /// @notice The round's accepted-results accumulator.
    function accumulatorOf(uint256 jobId, uint256 round) external view returns (bytes32);
    /// @notice The EIP-712 digest a member signs to approve `claimId`.
    function approvalDigest(uint256 claimId) external view returns (bytes32);
}
