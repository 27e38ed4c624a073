// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IGradchainLedger} from "../src/IGradchainLedger.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";

/// @notice Unit tests: submitClaim, attest, attestBatch, finalizeClaim and the claim views.
contract LedgerClaimsTest is LedgerFixture {
    uint256 internal jobId;

    function setUp() public {
        _deploy();
        jobId = _createJob();
        _stakeAll();
    }

    function _err(bytes4 sel, uint256 a, uint256 b) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(sel, a, b);
    }

    // ----------------------------------------------------------------------------------------------- submitClaim

    function test_submitClaim() public {
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.ClaimSubmitted(
            1, jobId, 0, worker, GENESIS, RESULT, ROOT, 100, URI, uint64(block.number)
        );
        uint256 claimId = _submit(jobId, worker);
        assertEq(claimId, 1, "first claim id");
        assertEq(_submit(jobId, worker2), 2, "second claim id");

        IGradchainLedger.ClaimView memory c = ledger.getClaim(claimId);
        assertEq(c.jobId, jobId, "job");
        assertEq(c.round, 0, "round");
        assertEq(c.worker, worker, "worker");
        assertEq(c.base, GENESIS, "base");
        assertEq(c.result, RESULT, "result");
        assertEq(c.transcriptRoot, ROOT, "root");
        assertEq(c.submitBlock, block.number, "submitBlock");
        assertEq(c.seedBlock, block.number + 2, "seedBlock");
        assertEq(c.deadline, block.number + 22, "deadline");
        assertEq(uint256(c.status), uint256(IGradchainLedger.ClaimStatus.Pending), "status");
        assertEq(c.approvals + c.rejections, 0, "no votes");

        IGradchainLedger.JobView memory j = ledger.getJob(jobId);
        assertEq(j.escrow, 10 ether - 2 * 1.3 ether, "reserved from escrow");
        assertEq(j.reserved, 2 * 1.3 ether, "reserved");
        assertEq(j.openClaims, 2, "open");
        assertEq(_locks(worker, WORKER), 1, "worker locked");
        assertEq(ledger.totalEscrow(), 10 ether, "reservations stay in totalEscrow");
        (, , uint32 open,,) = ledger.roundInfo(jobId, 0);
        assertEq(open, 2, "round open claims");
        _assertSolvent();
    }

    function test_submitClaim_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.JobNotFound.selector, 9));
        vm.prank(worker);
        ledger.submitClaim(9, 0, GENESIS, RESULT, ROOT, 1, URI);

        vm.expectRevert(_err(IGradchainLedger.WrongRound.selector, 0, 1));
        vm.prank(worker);
        ledger.submitClaim(jobId, 1, GENESIS, RESULT, ROOT, 1, URI);

        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.WrongBase.selector, GENESIS, RESULT));
        vm.prank(worker);
        ledger.submitClaim(jobId, 0, RESULT, RESULT, ROOT, 1, URI);

        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ZeroHash.selector));
        vm.prank(worker);
        ledger.submitClaim(jobId, 0, GENESIS, bytes32(0), ROOT, 1, URI);

        vm.expectRevert(
            abi.encodeWithSelector(
                IGradchainLedger.InsufficientStake.selector, stranger, IGradchainLedger.Role.Worker, 2 ether, 0
            )
        );
        vm.prank(stranger);
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 1, URI);

        _stake(stranger, WORKER, 1 ether); // below the minimum of 2 ether
        vm.expectRevert(
            abi.encodeWithSelector(
                IGradchainLedger.InsufficientStake.selector, stranger, IGradchainLedger.Role.Worker, 2 ether, 1 ether
            )
        );
        vm.prank(stranger);
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 1, URI);

        _submit(jobId, worker);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.AlreadyClaimed.selector, jobId, 0, worker));
        vm.prank(worker);
        ledger.submitClaim(jobId, 0, GENESIS, keccak256("other"), ROOT, 1, URI);

        uint256 start = ledger.getJob(jobId).roundStart;
        vm.roll(start + 10);
        vm.expectRevert(_err(IGradchainLedger.SubmissionWindowClosed.selector, start + 10, start + 10));
        vm.prank(worker2);
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 1, URI);
    }

    function test_submitClaim_insufficientEscrow() public {
        uint256 poor = _createJob(_params(), 1.3 ether - 1);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.InsufficientEscrow.selector, poor, 1.3 ether - 1, 1.3 ether));
        vm.prank(worker);
        ledger.submitClaim(poor, 0, GENESIS, RESULT, ROOT, 1, URI);
    }

    // ----------------------------------------------------------------------------------------------- attest

    function test_attest() public {
        uint256 claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        bytes32 seed = ledger.claimSeed(claimId);
        assertEq(seed, blockhash(ledger.getClaim(claimId).seedBlock), "seed is the seed block hash");
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.Attested(claimId, v1, true, seed);
        vm.prank(v1);
        ledger.attest(claimId, true, seed);
        _vote(v2, claimId, false);

        IGradchainLedger.ClaimView memory c = ledger.getClaim(claimId);
        assertEq(c.approvals, 1, "approvals");
        assertEq(c.rejections, 1, "rejections");
        (address[] memory voters, bool[] memory approves) = ledger.votesOf(claimId);
        assertEq(voters.length, 2, "two votes");
        assertEq(voters[0], v1, "v1 first");
        assertEq(voters[1], v2, "v2 second");
        assertTrue(approves[0] && !approves[1], "flags");
        assertEq(_locks(v1, VERIFIER), 1, "v1 locked");
        vm.expectRevert(
            abi.encodeWithSelector(IGradchainLedger.StakeLocked.selector, v1, IGradchainLedger.Role.Verifier, 1)
        );
        vm.prank(v1);
        ledger.requestUnstake(VERIFIER, 1);
    }

    function test_attest_reverts() public {
        uint256 claimId = _submit(jobId, worker);
        IGradchainLedger.ClaimView memory c = ledger.getClaim(claimId);

        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ClaimNotFound.selector, 99));
        vm.prank(v1);
        ledger.attest(99, true, bytes32(0));

        vm.expectRevert(_err(IGradchainLedger.SeedNotYetAvailable.selector, c.seedBlock, block.number));
        vm.prank(v1);
        ledger.attest(claimId, true, bytes32(0));
        vm.roll(c.seedBlock);
        vm.expectRevert(_err(IGradchainLedger.SeedNotYetAvailable.selector, c.seedBlock, c.seedBlock));
        vm.prank(v1);
        ledger.attest(claimId, true, bytes32(0));
        vm.expectRevert(_err(IGradchainLedger.SeedNotYetAvailable.selector, c.seedBlock, c.seedBlock));
        ledger.claimSeed(claimId);

        vm.roll(c.seedBlock + 1);
        bytes32 seed = ledger.claimSeed(claimId);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.WrongSeed.selector, seed, bytes32(uint256(1))));
        vm.prank(v1);
        ledger.attest(claimId, true, bytes32(uint256(1)));

        vm.expectRevert(
            abi.encodeWithSelector(
                IGradchainLedger.InsufficientStake.selector, stranger, IGradchainLedger.Role.Verifier, 1 ether, 0
            )
        );
        vm.prank(stranger);
        ledger.attest(claimId, true, seed);

        _stake(worker, VERIFIER, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.SelfAttestation.selector, claimId, worker));
        vm.prank(worker);
        ledger.attest(claimId, true, seed);

        _vote(v1, claimId, true);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.AlreadyVoted.selector, claimId, v1));
        vm.prank(v1);
        ledger.attest(claimId, false, seed);

        _vote(v2, claimId, true);
        _vote(v3, claimId, true);
        vm.expectRevert(_err(IGradchainLedger.VoteLimitReached.selector, claimId, 3));
        vm.prank(v4);
        ledger.attest(claimId, true, seed);

        ledger.finalizeClaim(claimId);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGradchainLedger.ClaimNotPending.selector, claimId, IGradchainLedger.ClaimStatus.Accepted
            )
        );
        vm.prank(v4);
        ledger.attest(claimId, true, seed);
    }

    function test_attest_votingClosedAndSeedExpiry() public {
        uint256 claimId = _submit(jobId, worker);
        IGradchainLedger.ClaimView memory c = ledger.getClaim(claimId);
        vm.roll(c.deadline);
        _vote(v1, claimId, true); // the deadline block itself is inside the window
        vm.roll(c.deadline + 1);
        bytes32 seed = ledger.claimSeed(claimId);
        vm.expectRevert(_err(IGradchainLedger.VotingClosed.selector, c.deadline, c.deadline + 1));
        vm.prank(v2);
        ledger.attest(claimId, true, seed);
        vm.roll(uint256(c.seedBlock) + 257);
        vm.expectRevert(_err(IGradchainLedger.SeedNoLongerAvailable.selector, c.seedBlock, uint256(c.seedBlock) + 257));
        ledger.claimSeed(claimId);
    }

    // ----------------------------------------------------------------------------------------------- attestBatch

    function test_attestBatch() public {
        uint256 claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        IGradchainLedger.Attestation[] memory atts = new IGradchainLedger.Attestation[](2);
        bytes[] memory sigs = new bytes[](2);
        atts[0] = _att(claimId, true);
        atts[1] = _att(claimId, false);
        sigs[0] = _sign(V1_KEY, atts[0]);
        sigs[1] = _sign(V2_KEY, atts[1]);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.Attested(claimId, v1, true, atts[0].seed);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.Attested(claimId, v2, false, atts[1].seed);
        vm.prank(stranger); // anyone relays
        ledger.attestBatch(atts, sigs);
        (address[] memory voters,) = ledger.votesOf(claimId);
        assertEq(voters[0], v1, "signer 1");
        assertEq(voters[1], v2, "signer 2");
    }

    function test_attestBatch_reverts() public {
        uint256 claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        IGradchainLedger.Attestation[] memory atts = new IGradchainLedger.Attestation[](1);
        bytes[] memory sigs = new bytes[](2);
        atts[0] = _att(claimId, true);
        vm.expectRevert(_err(IGradchainLedger.LengthMismatch.selector, 1, 2));
        ledger.attestBatch(atts, sigs);

        sigs = new bytes[](1);
        sigs[0] = hex"1234";
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, 2));
        ledger.attestBatch(atts, sigs);

        atts[0].transcriptRoot = keccak256("forged");
        sigs[0] = _sign(V1_KEY, atts[0]);
        vm.expectRevert(
            abi.encodeWithSelector(IGradchainLedger.TranscriptMismatch.selector, claimId, ROOT, keccak256("forged"))
        );
        ledger.attestBatch(atts, sigs);

        // Signed by a key that never staked: the recovered signer is named in the error.
        atts[0] = _att(claimId, true);
        uint256 rogueKey = 0xBAD;
        sigs[0] = _sign(rogueKey, atts[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGradchainLedger.InsufficientStake.selector,
                vm.addr(rogueKey),
                IGradchainLedger.Role.Verifier,
                1 ether,
                0
            )
        );
        ledger.attestBatch(atts, sigs);

        // A signature over one claim replayed for another recovers a different (unstaked) address.
        sigs[0] = _sign(V1_KEY, atts[0]);
        ledger.attestBatch(atts, sigs);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.AlreadyVoted.selector, claimId, v1));
        ledger.attestBatch(atts, sigs);
    }

    // ----------------------------------------------------------------------------------------------- finalizeClaim

    function test_finalize_accepted_exactAmounts() public {
        uint256 claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        _vote(v1, claimId, true);
        _vote(v2, claimId, true);
        _vote(v3, claimId, false);
        // All maxVotes are in: finalize may happen before the deadline.
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.ClaimFinalized(claimId, jobId, 0, IGradchainLedger.ClaimStatus.Accepted, 2, 1);
        ledger.finalizeClaim(claimId);

        assertEq(_status(claimId), uint256(IGradchainLedger.ClaimStatus.Accepted), "accepted");
        assertEq(_credit(worker), 1 ether, "reward");
        // v3 slashed 0.5, split 0.25 + 0.25 between v1 and v2, plus a 0.1 fee each.
        assertEq(_credit(v1), 0.35 ether, "v1 fee + share");
        assertEq(_credit(v2), 0.35 ether, "v2 fee + share");
        assertEq(_credit(v3), 0, "v3 nothing");
        assertEq(_active(v3, VERIFIER), 0.5 ether, "v3 slashed");
        assertEq(_locks(worker, WORKER) + _locks(v1, VERIFIER) + _locks(v2, VERIFIER) + _locks(v3, VERIFIER), 0, "unlocked");
        // Escrow: 10 - 1.3 reserved + (1.3 - 1.2 paid) returned.
        IGradchainLedger.JobView memory j = ledger.getJob(jobId);
        assertEq(j.escrow, 8.8 ether, "escrow");
        assertEq(j.openClaims, 0, "closed");
        (,,, uint32 accepted, bytes32 acc) = ledger.roundInfo(jobId, 0);
        assertEq(accepted, 1, "accepted count");
        assertEq(acc, keccak256(abi.encode(bytes32(0), claimId, RESULT)), "accumulator");
        assertEq(ledger.totalCredits(), 1.7 ether, "credits");
        _assertSolvent();

        vm.expectRevert(
            abi.encodeWithSelector(
                IGradchainLedger.ClaimNotPending.selector, claimId, IGradchainLedger.ClaimStatus.Accepted
            )
        );
        ledger.finalizeClaim(claimId);

        // Pull payments.
        uint256 before = v1.balance;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.Withdrawn(v1, 0.35 ether);
        vm.prank(v1);
        ledger.withdraw();
        assertEq(v1.balance, before + 0.35 ether, "paid");
        assertEq(_credit(v1), 0, "cleared");
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.NothingToWithdraw.selector, v1));
        vm.prank(v1);
        ledger.withdraw();
        _assertSolvent();
    }

    function test_finalize_rejected_exactAmounts() public {
        uint256 claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        _vote(v1, claimId, false);
        _vote(v2, claimId, false);
        _vote(v3, claimId, true);
        ledger.finalizeClaim(claimId);
        assertEq(_status(claimId), uint256(IGradchainLedger.ClaimStatus.Rejected), "rejected");
        // Worker loses 1, v3 loses 0.5: 1.5 split 0.75 each; fee 0.1 each.
        assertEq(_active(worker, WORKER), 1 ether, "worker slashed");
        assertEq(_active(v3, VERIFIER), 0.5 ether, "v3 slashed");
        assertEq(_credit(v1), 0.85 ether, "v1");
        assertEq(_credit(v2), 0.85 ether, "v2");
        assertEq(_credit(worker), 0, "no reward");
        assertEq(ledger.getJob(jobId).escrow, 10 ether - 0.2 ether, "only fees paid");
        (,,, uint32 accepted, bytes32 acc) = ledger.roundInfo(jobId, 0);
        assertEq(accepted, 0, "none accepted");
        assertEq(acc, bytes32(0), "acc unchanged");
        _assertSolvent();
    }

    function test_finalize_slashDustReturnsToEscrow() public {
        IGradchainLedger.JobParams memory p = _params();
        p.maxVotes = 4;
        p.quorum = 3;
        p.workerSlash = 1 ether + 1; // (1e18 + 1) mod 3 = 2 wei of dust
        p.minWorkerStake = 2 ether;
        uint256 job2 = _createJob(p, 10 ether);
        uint256 claimId = _submit(job2, worker);
        _rollToVoting(claimId);
        _vote(v1, claimId, false);
        _vote(v2, claimId, false);
        _vote(v3, claimId, false);
        _rollPastDeadline(claimId);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.EscrowReleased(job2, claimId, 1.1 ether + 2, 9.7 ether + 2);
        ledger.finalizeClaim(claimId);
        uint256 slashed = 1 ether + 1;
        uint256 share = slashed / 3;
        assertEq(_credit(v1), 0.1 ether + share, "fee + share");
        assertEq(ledger.getJob(job2).escrow, 9.7 ether + 2, "dust (2 wei) to escrow");
        _assertSolvent();
    }

    function test_finalize_expired_and_votingStillOpen() public {
        uint256 claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        _vote(v1, claimId, true); // 1 < quorum 2
        IGradchainLedger.ClaimView memory c = ledger.getClaim(claimId);
        vm.expectRevert(_err(IGradchainLedger.VotingStillOpen.selector, c.deadline, block.number));
        ledger.finalizeClaim(claimId);
        vm.roll(c.deadline);
        vm.expectRevert(_err(IGradchainLedger.VotingStillOpen.selector, c.deadline, c.deadline));
        ledger.finalizeClaim(claimId);
        vm.roll(c.deadline + 1);
        ledger.finalizeClaim(claimId);
        assertEq(_status(claimId), uint256(IGradchainLedger.ClaimStatus.Expired), "expired");
        assertEq(_credit(v1) + _credit(worker), 0, "nothing moves");
        assertEq(ledger.getJob(jobId).escrow, 10 ether, "reservation back");
        assertEq(_locks(v1, VERIFIER) + _locks(worker, WORKER), 0, "unlocked");
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ClaimNotFound.selector, 42));
        ledger.finalizeClaim(42);
        _assertSolvent();
    }

    /// @dev 16 votes use the three inline entries and both overflow slots.
    function test_sixteenVotes() public {
        IGradchainLedger.JobParams memory p = _params();
        p.maxVotes = 16;
        p.quorum = 9;
        uint256 job2 = _createJob(p, 10 ether);
        uint256 claimId = _submit(job2, worker);
        _rollToVoting(claimId);
        bytes32 seed = ledger.claimSeed(claimId);
        address[] memory vs = new address[](17);
        for (uint256 i; i < 17; ++i) {
            vs[i] = vm.addr(0xC000 + i);
            vm.deal(vs[i], 2 ether);
            _stake(vs[i], VERIFIER, 1 ether);
        }
        for (uint256 i; i < 16; ++i) {
            vm.prank(vs[i]);
            ledger.attest(claimId, i % 3 != 0, seed); // 10 approve, 6 reject
            if (i >= 3 && i < 15) {
                vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.AlreadyVoted.selector, claimId, vs[i - 1]));
                vm.prank(vs[i - 1]);
                ledger.attest(claimId, true, seed);
            }
        }
        vm.expectRevert(_err(IGradchainLedger.VoteLimitReached.selector, claimId, 16));
        vm.prank(vs[16]);
        ledger.attest(claimId, true, seed);
        (address[] memory voters, bool[] memory approves) = ledger.votesOf(claimId);
        assertEq(voters.length, 16, "16 votes");
        for (uint256 i; i < 16; ++i) {
            assertEq(voters[i], vs[i], "order");
            assertTrue(approves[i] == (i % 3 != 0), "flag");
        }
        ledger.finalizeClaim(claimId);
        assertEq(_status(claimId), uint256(IGradchainLedger.ClaimStatus.Accepted), "accepted");
        // 6 rejecting verifiers slashed 0.5 each = 3 ether over 10 winners.
        assertEq(_credit(vs[1]), 0.1 ether + 0.3 ether, "winner");
        assertEq(_active(vs[0], VERIFIER), 0.5 ether, "loser");
        for (uint256 i; i < 16; ++i) {
            assertEq(_locks(vs[i], VERIFIER), 0, "unlocked");
        }
        _assertSolvent();
    }

    /// @dev A zero minimum still requires a stake: an address that never staked cannot vote.
    function test_zeroMinimumStillNeedsStake() public {
        IGradchainLedger.JobParams memory p = _params();
        p.minVerifierStake = 0;
        p.verifierSlash = 0;
        uint256 job2 = _createJob(p, 10 ether);
        uint256 claimId = _submit(job2, worker);
        _rollToVoting(claimId);
        bytes32 seed = ledger.claimSeed(claimId);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGradchainLedger.InsufficientStake.selector, stranger, IGradchainLedger.Role.Verifier, 1, 0
            )
        );
        vm.prank(stranger);
        ledger.attest(claimId, true, seed);
    }

    function test_attestationDigest_matchesManualEip712() public view {
        IGradchainLedger.Attestation memory a = IGradchainLedger.Attestation(7, true, ROOT, keccak256("seed"));
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("gradchain"),
                keccak256("1"),
                block.chainid,
                address(ledger)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Attestation(uint256 claimId,bool approve,bytes32 transcriptRoot,bytes32 seed)"),
                a.claimId,
                a.approve,
                a.transcriptRoot,
                a.seed
            )
        );
        assertEq(
            ledger.attestationDigest(a), keccak256(abi.encodePacked(hex"1901", domain, structHash)), "EIP-712 digest"
        );
    }
}
