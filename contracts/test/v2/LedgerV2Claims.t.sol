// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../src/v2/ILedgerV2.sol";
import {LedgerV2} from "../../src/v2/LedgerV2.sol";
import {LedgerV2Rules} from "../../src/v2/LedgerV2Rules.sol";
import {V2Fixture} from "./utils/V2Fixture.sol";

/// @notice submitClaim, approve / approveBySig / approveBatch, finalizeClaim(s): happy paths and every revert.
contract LedgerV2ClaimsTest is V2Fixture {
    function setUp() public {
        _setUpAll();
    }

    function test_accepted_claim_pays_worker_and_approvers() public {
        uint256 id = _submit(worker);
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        assertEq(j.reserved, 1.3 ether, "reward + 3 fees reserved");
        assertEq(_locked(worker, WORKER), 1 ether, "claim bond locked");
        _rollToVoting(id);
        address[] memory m = _members(id);
        assertEq(m.length, 3, "D = 3 members");
        _approve(m[0], id);
        vm.prank(stranger);
        ledger.approveBySig(id, _sig(m[1], id));
        assertEq(_locked(m[0], VERIFIER), 0.5 ether, "approval bond locked");
        _rollPastChallenge(id);
        uint256 esc = ledger.getJob(jobId).escrow;
        ledger.finalizeClaim(id);
        ILedgerV2.ClaimInfo memory c = ledger.getClaim(id);
        assertTrue(c.status == ILedgerV2.ClaimStatus.Accepted, "accepted");
        assertEq(ledger.creditOf(worker), 1 ether, "reward");
        assertEq(ledger.creditOf(m[0]), 0.1 ether, "fee 0");
        assertEq(ledger.creditOf(m[1]), 0.1 ether, "fee 1");
        assertEq(_locked(worker, WORKER), 0, "claim bond released");
        assertEq(_locked(m[0], VERIFIER), 0, "approval bond released");
        // m[2] neither approved nor challenged: miss penalty to escrow; one unused fee back to escrow.
        assertEq(_active(m[2], VERIFIER), 3 ether - 0.05 ether, "miss penalty");
        assertEq(ledger.getJob(jobId).escrow, esc + 0.1 ether + 0.05 ether, "unused fee + miss back");
        assertEq(ledger.getJob(jobId).reserved, 0, "reservation closed");
        bytes32 acc = LedgerV2Rules.accumulate(bytes32(0), id, c.result);
        assertEq(ledger.accumulatorOf(jobId, 0), acc, "accumulator");
        _assertSolvent();
        uint256 before = worker.balance;
        vm.prank(worker);
        ledger.withdraw();
        assertEq(worker.balance - before, 1 ether, "withdrawn");
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NothingToWithdraw.selector, worker));
        ledger.withdraw();
        _assertSolvent();
    }

    function test_too_few_approvals_expire_with_penalty() public {
        uint256 id = _submit(worker);
        _rollToVoting(id);
        address[] memory m = _members(id);
        _approve(m[0], id);
        _rollPastChallenge(id);
        ledger.finalizeClaim(id);
        assertTrue(ledger.getClaim(id).status == ILedgerV2.ClaimStatus.Expired, "expired");
        assertEq(_active(worker, WORKER), 5 ether - 0.1 ether, "expiry penalty");
        assertEq(_locked(worker, WORKER), 0, "bond released");
        assertEq(ledger.creditOf(m[0]), 0, "no fee on expiry");
        assertEq(_locked(m[0], VERIFIER), 0, "approval bond released");
        _assertSolvent();
    }

    function test_approveBatch_many_claims() public {
        uint256 a = _submit(worker);
        uint256 b = _submit(worker2);
        _rollToVoting(b);
        address[] memory ma = _members(a);
        address[] memory mb = _members(b);
        uint256[] memory ids = new uint256[](6);
        bytes[] memory sigs = new bytes[](6);
        for (uint256 i; i < 3; ++i) {
            ids[i] = a;
            sigs[i] = _sig(ma[i], a);
            ids[3 + i] = b;
            sigs[3 + i] = _sig(mb[i], b);
        }
        ledger.approveBatch(ids, sigs);
        assertEq(ledger.getClaim(a).approvedMask, 7, "a: all three");
        assertEq(ledger.getClaim(b).approvedMask, 7, "b: all three");
        _rollPastChallenge(b);
        uint256[] memory fin = new uint256[](2);
        fin[0] = a;
        fin[1] = b;
        ledger.finalizeClaims(fin);
        assertTrue(ledger.getClaim(a).status == ILedgerV2.ClaimStatus.Accepted, "a accepted");
        assertTrue(ledger.getClaim(b).status == ILedgerV2.ClaimStatus.Accepted, "b accepted");
        assertEq(ledger.getJob(jobId).acceptedCount, 2, "two accepted");
        _assertSolvent();
    }

    function test_approveBatch_skips_a_member_that_approved_directly() public {
        uint256 a = _submit(worker);
        _rollToVoting(a);
        address[] memory m = _members(a);
        uint256[] memory ids = new uint256[](3);
        bytes[] memory sigs = new bytes[](3);
        for (uint256 i; i < 3; ++i) {
            ids[i] = a;
            sigs[i] = _sig(m[i], a);
        }
        _approve(m[1], a); // stopped waiting for the relayer
        uint256 lockedBefore = _locked(m[1], VERIFIER);
        ledger.approveBatch(ids, sigs);
        assertEq(ledger.getClaim(a).approvedMask, 7, "the other two approved by the batch");
        assertEq(_locked(m[1], VERIFIER), lockedBefore, "its bond locked once");
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.AlreadyApproved.selector, a, m[0]));
        ledger.approveBySig(a, sigs[0]); // one relayed approval alone still says why it fails
        _assertSolvent();
    }

    // ----- submitClaim reverts -----

    function test_submit_reverts() public {
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        vm.startPrank(worker);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.JobNotFound.selector, 99));
        ledger.submitClaim(99, 0, GENESIS, RESULT, ROOT, 100, URI);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.WrongRound.selector, jobId, 1, 0));
        ledger.submitClaim(jobId, 1, GENESIS, RESULT, ROOT, 100, URI);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.WrongBase.selector, RESULT, j.head));
        ledger.submitClaim(jobId, 0, RESULT, RESULT, ROOT, 100, URI);
        vm.expectRevert(ILedgerV2.ZeroResult.selector);
        ledger.submitClaim(jobId, 0, GENESIS, 0, ROOT, 100, URI);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidSteps.selector, 105, 10));
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 105, URI);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidSteps.selector, 0, 10));
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 0, URI);
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 100, URI);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DuplicateClaim.selector, jobId, 0, worker));
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 100, URI);
        vm.stopPrank();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InsufficientUnlockedStake.selector, stranger, ILedgerV2.Role.Worker, 1 ether, 0));
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 100, URI);
        vm.roll(j.roundStart + 10);
        vm.prank(worker2);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.SubmitWindowClosed.selector, jobId, j.roundStart + 10, j.roundStart + 10));
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 100, URI);
    }

    function test_submit_round_cap_and_escrow() public {
        ILedgerV2.JobParams memory p = _params();
        p.maxClaimsPerRound = 1;
        uint256 small = _createJob(p, 1.3 ether);
        vm.prank(worker);
        ledger.submitClaim(small, 0, GENESIS, RESULT, ROOT, 100, URI);
        vm.prank(worker2);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.RoundFull.selector, small, 0, 1));
        ledger.submitClaim(small, 0, GENESIS, RESULT, ROOT, 100, URI);
        p.maxClaimsPerRound = 5;
        uint256 poor = _createJob(p, 1.2 ether);
        vm.prank(worker2);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InsufficientEscrow.selector, poor, 1.3 ether, 1.2 ether));
        ledger.submitClaim(poor, 0, GENESIS, RESULT, ROOT, 100, URI);
    }

    /// One stake cannot back more open claims than its bonds cover.
    function test_one_stake_backs_only_what_its_bonds_cover() public {
        ILedgerV2.JobParams memory p = _params();
        p.claimBond = 2 ether;
        uint256[3] memory jobs = [_createJob(p, 10 ether), _createJob(p, 10 ether), _createJob(p, 10 ether)];
        vm.startPrank(worker); // 5 ETH active: two 2-ETH bonds fit, a third does not
        ledger.submitClaim(jobs[0], 0, GENESIS, RESULT, ROOT, 100, URI);
        ledger.submitClaim(jobs[1], 0, GENESIS, RESULT, ROOT, 100, URI);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerV2.InsufficientUnlockedStake.selector, worker, ILedgerV2.Role.Worker, 2 ether, 1 ether)
        );
        ledger.submitClaim(jobs[2], 0, GENESIS, RESULT, ROOT, 100, URI);
        // Nor can the locked part be unstaked.
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerV2.InsufficientUnlockedStake.selector, worker, ILedgerV2.Role.Worker, 2 ether, 1 ether)
        );
        ledger.requestUnstake(WORKER, 2 ether);
        vm.stopPrank();
    }

    // ----- approve reverts -----

    function test_approve_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ClaimNotFound.selector, 7));
        ledger.approve(7);
        uint256 id = _submit(worker);
        ILedgerV2.ClaimInfo memory c = ledger.getClaim(id);
        vm.roll(c.seedBlock);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.VotingClosed.selector, id, c.seedBlock, c.voteDeadline, c.seedBlock));
        ledger.approve(id);
        vm.roll(c.seedBlock + 1);
        address[] memory m = _members(id);
        address out = _outsider(id, address(0));
        vm.prank(out);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotCommitteeMember.selector, id, out));
        ledger.approve(id);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotCommitteeMember.selector, id, worker));
        ledger.approve(id);
        _approve(m[0], id);
        vm.prank(m[0]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.AlreadyApproved.selector, id, m[0]));
        ledger.approve(id);
        // a relayed signature over the wrong digest recovers someone else: not a member
        bytes memory bad = _sig(m[1], id);
        bad[0] = bad[0] ^ 0x01;
        vm.expectRevert();
        ledger.approveBySig(id, bad);
        vm.expectRevert(abi.encodeWithSignature("ECDSAInvalidSignatureLength(uint256)", 64));
        ledger.approveBySig(id, new bytes(64));
        uint256[] memory ids = new uint256[](1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.LengthMismatch.selector, 1, 0));
        ledger.approveBatch(ids, new bytes[](0));
        vm.roll(c.voteDeadline + 1);
        vm.prank(m[1]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.VotingClosed.selector, id, c.seedBlock, c.voteDeadline, c.voteDeadline + 1));
        ledger.approve(id);
    }

    function test_approve_needs_unlocked_bond() public {
        uint256 id = _submit(worker);
        _rollToVoting(id);
        address m0 = _members(id)[0];
        vm.prank(m0);
        ledger.requestUnstake(VERIFIER, 2.8 ether); // 0.2 left, seat retired, still a member of this claim
        vm.prank(m0);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerV2.InsufficientUnlockedStake.selector, m0, ILedgerV2.Role.Verifier, 0.5 ether, 0.2 ether)
        );
        ledger.approve(id);
    }

    // ----- finalize reverts -----

    function test_finalize_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ClaimNotFound.selector, 5));
        ledger.finalizeClaim(5);
        uint256 id = _submit(worker);
        ILedgerV2.ClaimInfo memory c = ledger.getClaim(id);
        vm.roll(c.challengeDeadline);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.WindowOpen.selector, c.challengeDeadline, c.challengeDeadline));
        ledger.finalizeClaim(id);
        vm.roll(c.challengeDeadline + 1);
        ledger.finalizeClaim(id);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ClaimNotPending.selector, id, ILedgerV2.ClaimStatus.Expired));
        ledger.finalizeClaim(id);
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ClaimNotPending.selector, id, ILedgerV2.ClaimStatus.Expired));
        ledger.finalizeClaims(ids);
    }

    /// Finalizing after the 256-block horizon still works: the seed was recorded by the first approval.
    function test_finalize_late_uses_recorded_seed() public {
        uint256 id = _submit(worker);
        _rollToVoting(id);
        address[] memory m = _members(id);
        _approve(m[0], id);
        _approve(m[1], id);
        vm.roll(block.number + 1_000);
        ledger.finalizeClaim(id);
        assertTrue(ledger.getClaim(id).status == ILedgerV2.ClaimStatus.Accepted, "accepted late");
        assertEq(ledger.creditOf(m[1]), 0.1 ether, "fee paid late");
        _assertSolvent();
    }

    /// Junk claims pay the expiry penalty while an honest claim of the same round is accepted.
    function test_junk_claims_expire_honest_accepted() public {
        uint256 honest = _submit(worker);
        uint256 junk = _submit(worker2);
        _rollToVoting(junk);
        address[] memory m = _members(honest);
        _approve(m[0], honest);
        _approve(m[1], honest);
        _approve(m[2], honest);
        // Nobody approves the junk claim (members replayed it and found nothing to sign).
        _rollPastChallenge(junk);
        uint256[] memory ids = new uint256[](2);
        ids[0] = honest;
        ids[1] = junk;
        uint256 esc = ledger.getJob(jobId).escrow;
        ledger.finalizeClaims(ids);
        assertTrue(ledger.getClaim(honest).status == ILedgerV2.ClaimStatus.Accepted, "honest accepted");
        assertTrue(ledger.getClaim(junk).status == ILedgerV2.ClaimStatus.Expired, "junk expired");
        assertEq(_active(worker2, WORKER), 4.9 ether, "junk worker paid the expiry penalty");
        assertTrue(ledger.getJob(jobId).escrow > esc + 1.3 ether, "junk reservation and penalty back in escrow");
        _assertSolvent();
    }

    /// A seat that registered in (or after) the submit block is not eligible: Sybil seats cannot vote unless drawn.
    function test_sybil_seats_cannot_vote_unless_drawn() public {
        uint256 id = _submit(worker);
        address[] memory sybils = new address[](20);
        for (uint256 i; i < 20; ++i) {
            sybils[i] = address(uint160(0x5100 + i));
            vm.deal(sybils[i], 10 ether);
            vm.prank(sybils[i]);
            ledger.stake{value: 1 ether}(VERIFIER); // 20 fresh seats, after the submission
        }
        _rollToVoting(id);
        assertEq(ledger.getClaim(id).seatCount, 11, "seat count frozen at submit");
        for (uint256 i; i < 20; ++i) {
            vm.prank(sybils[i]);
            vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotCommitteeMember.selector, id, sybils[i]));
            ledger.approve(id);
        }
        // A later claim may draw them, but only as ordinary seats: each drawn one counts once.
        vm.roll(block.number + 1);
        uint256 id2 = _submit(worker2);
        _rollToVoting(id2);
        address[] memory m = _members(id2);
        assertEq(m.length, 3, "three distinct members");
        for (uint256 i; i < 20; ++i) {
            (bool member,) = ledger.isCommitteeMember(id2, sybils[i]);
            if (!member) {
                vm.prank(sybils[i]);
                vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotCommitteeMember.selector, id2, sybils[i]));
                ledger.approve(id2);
            }
        }
    }

    function test_views_revert_on_unknown_ids() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ClaimNotFound.selector, 3));
        ledger.getClaim(3);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ClaimNotFound.selector, 3));
        ledger.committeeOf(3);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeNotFound.selector, 3));
        ledger.getDispute(3);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeNotFound.selector, 3));
        ledger.juryOf(3);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ProposalNotFound.selector, 3));
        ledger.getProposal(3);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.JobNotFound.selector, 3));
        ledger.getJob(3);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidRole.selector, 3));
        ledger.stakeOf(worker, 3);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotSelf.selector, address(this)));
        ledger.delegateView("");
        uint256 id = _submit(worker);
        ILedgerV2.ClaimInfo memory c = ledger.getClaim(id);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.SeedUnavailable.selector, c.seedBlock, block.number));
        ledger.committeeOf(id);
    }

    function test_code_sizes_fit_eip170() public {
        assertTrue(address(ledger).code.length <= 24_576, "LedgerV2 runtime <= 24576 bytes");
        // The modules: deploy fresh copies to read their sizes.
        LedgerV2 l = _deployLedger();
        assertTrue(address(l).code.length <= 24_576, "fresh ledger fits");
    }
}
