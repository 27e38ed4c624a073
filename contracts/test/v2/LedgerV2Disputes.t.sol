// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../src/v2/ILedgerV2.sol";
import {LedgerV2Rules} from "../../src/v2/LedgerV2Rules.sol";
import {V2Fixture} from "./utils/V2Fixture.sol";

/// @notice challenge, commitVerdict, revealVerdict, resolveDispute: the scenarios of PROTOCOL.md 4.3 and every revert.
contract LedgerV2DisputesTest is V2Fixture {
    uint256 internal id;
    address[] internal m;

    function setUp() public {
        _setUpAll();
        id = _submit(worker);
        _rollToVoting(id);
        m = _members(id);
    }

    function _segs(uint256 a, uint256 b) internal pure returns (uint256[] memory s) {
        if (a == b) {
            s = new uint256[](1);
            s[0] = a;
        } else {
            s = new uint256[](2);
            s[0] = a;
            s[1] = b;
        }
    }

    /// Two colluding approvers and one honest challenger: the jury rejects, the worker and both colluders are
    /// slashed, and the honest member shares the slashed bonds with the majority jurors.
    function test_colluders_slashed_honest_member_paid() public {
        _approve(m[0], id);
        _approve(m[1], id);
        uint256 s0 = _sampleOf(id, m[0], 0);
        uint256 s1 = _sampleOf(id, m[1], 0);
        uint256[] memory segs = _segs(s0, s1);
        address[] memory aps = new address[](segs.length);
        uint256[] memory dis = new uint256[](segs.length);
        aps[0] = m[0];
        if (segs.length == 2) aps[1] = m[1];
        vm.prank(m[2]);
        uint256 d = ledger.challenge(id, segs, aps, dis);
        assertEq(_locked(m[2], VERIFIER), 0.5 ether, "challenge bond locked");
        uint256 all = segs.length == 2 ? 3 : 1;
        _jury(d, all, 0, 0, 3);
        address[] memory js = _jurors(d);
        for (uint256 i; i < js.length; ++i) {
            assertTrue(js[i] != worker && js[i] != m[0] && js[i] != m[1] && js[i] != m[2], "no party on the jury");
        }
        ledger.resolveDispute(d);
        assertTrue(ledger.getClaim(id).status == ILedgerV2.ClaimStatus.Rejected, "rejected");
        assertEq(_active(worker, WORKER), 4 ether, "worker lost its claim bond");
        assertEq(_active(m[0], VERIFIER), 2.5 ether, "colluder 0 slashed");
        assertEq(_active(m[1], VERIFIER), 2.5 ether, "colluder 1 slashed");
        // pot 1 + 0.5 + 0.5 = 2 ETH over the challenger and three majority jurors
        assertEq(ledger.creditOf(m[2]), 0.5 ether, "honest member paid");
        assertEq(_locked(m[2], VERIFIER), 0, "challenge bond back");
        for (uint256 i; i < js.length; ++i) {
            assertEq(ledger.creditOf(js[i]), 0.5 ether, "majority juror paid");
            assertEq(_locked(js[i], VERIFIER), 0, "juror bond back");
        }
        assertEq(ledger.getJob(jobId).openClaims, 0, "claim closed");
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ClaimNotPending.selector, id, ILedgerV2.ClaimStatus.Rejected));
        ledger.finalizeClaim(id);
        _assertSolvent();
    }

    /// An approver whose own sample missed the faulty segment keeps its bond.
    function test_approver_outside_fault_keeps_bond() public {
        _approve(m[0], id);
        uint256 seg = _sampleOf(id, m[0], 0);
        uint256 other = (seg + 1) % 10;
        while (other == _sampleOf(id, m[0], 0) || other == _sampleOf(id, m[0], 1)) other = (other + 1) % 10;
        uint256 d = _challenge(m[1], id, other, address(0), 0);
        _jury(d, 1, 0, 0, 3);
        ledger.resolveDispute(d);
        assertTrue(ledger.getClaim(id).status == ILedgerV2.ClaimStatus.Rejected, "rejected");
        assertEq(_active(m[0], VERIFIER), 3 ether, "approver kept its bond");
        assertEq(_locked(m[0], VERIFIER), 0, "and it is unlocked");
        _assertSolvent();
    }

    /// A withheld checkpoint: the member challenges what it cannot fetch, jurors who cannot fetch it vote faulty.
    function test_withheld_checkpoint_rejects_claim() public {
        uint256 d = _challenge(m[0], id, 3, address(0), 0);
        _jury(d, 1, 0, 0, 3);
        ledger.resolveDispute(d);
        assertTrue(ledger.getClaim(id).status == ILedgerV2.ClaimStatus.Rejected, "rejected");
        assertEq(_active(worker, WORKER), 4 ether, "worker slashed");
        assertEq(ledger.creditOf(m[0]), 0.25 ether, "challenger's share of 1 ETH over 4");
        _assertSolvent();
    }

    /// A false challenge: the challenger loses its bond to the worker and the majority jurors; the claim then settles
    /// as if unchallenged; a minority juror loses its juror bond.
    function test_false_challenge_slashes_challenger() public {
        _approve(m[0], id);
        _approve(m[1], id);
        address out = _outsider(id, address(0));
        uint256 d = _challenge(out, id, 4, address(0), 0);
        _rollToCommit(d);
        address[] memory js = _jurors(d);
        _jury(d, 0, 1, 1, 3); // juror 0 says faulty, two say sound
        uint256 j0 = _active(js[0], VERIFIER);
        ledger.resolveDispute(d);
        ILedgerV2.DisputeInfo memory info = ledger.getDispute(d);
        assertTrue(info.status == ILedgerV2.DisputeStatus.Resolved, "resolved");
        assertEq(info.faultyMask, 0, "sound");
        assertEq(_active(out, VERIFIER), 2.5 ether, "challenger slashed");
        assertEq(_active(js[0], VERIFIER), j0 - 0.2 ether, "minority juror slashed");
        // pot 0.5 + 0.2 = 0.7 over worker + 2 majority jurors
        uint256 share = uint256(0.7 ether) / 3;
        assertEq(ledger.creditOf(js[1]), share, "majority juror share");
        assertEq(ledger.creditOf(worker), share, "worker share");
        assertTrue(ledger.getClaim(id).status == ILedgerV2.ClaimStatus.Pending, "still pending");
        // the claim's one dispute is closed: no new challenge, and no late approval
        assertTrue(block.number <= ledger.getClaim(id).challengeDeadline, "still inside the challenge window");
        vm.prank(m[2]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeNotOpen.selector, d, ILedgerV2.DisputeStatus.Resolved));
        ledger.challenge(id, new uint256[](1), new address[](1), new uint256[](1));
        vm.prank(m[2]);
        vm.expectRevert();
        ledger.approve(id);
        _rollPastChallenge(id);
        ledger.finalizeClaim(id);
        assertTrue(ledger.getClaim(id).status == ILedgerV2.ClaimStatus.Accepted, "accepted after a false challenge");
        assertEq(_active(m[2], VERIFIER), 3 ether, "no miss penalty on a disputed claim");
        _assertSolvent();
    }

    /// Too few reveals: a fresh jury; still too few: no verdict, bonds back, the claim Expires without penalty.
    function test_no_reveals_redraw_then_no_verdict() public {
        _approve(m[0], id);
        uint256 d = _challenge(m[1], id, 2, address(0), 0);
        _jury(d, 1, 0, 0, 1); // one reveal of three: below ceil(3/2) = 2
        address[] memory js = _jurors(d);
        uint256 a0 = _active(js[0], VERIFIER);
        uint256 a1 = _active(js[1], VERIFIER);
        ledger.resolveDispute(d);
        assertEq(_active(js[1], VERIFIER), a1 - 0.2 ether, "non-revealer slashed");
        assertEq(_active(js[0], VERIFIER), a0, "revealer kept its bond");
        assertEq(_locked(js[0], VERIFIER), 0, "revealer unlocked");
        ILedgerV2.DisputeInfo memory info = ledger.getDispute(d);
        assertEq(info.attempt, 1, "redrawn");
        assertTrue(info.status == ILedgerV2.DisputeStatus.Open, "still open");
        _jury(d, 1, 0, 0, 0); // nobody reveals
        ledger.resolveDispute(d);
        info = ledger.getDispute(d);
        assertTrue(info.status == ILedgerV2.DisputeStatus.NoVerdict, "no verdict");
        assertTrue(ledger.getClaim(id).status == ILedgerV2.ClaimStatus.Expired, "expired");
        assertEq(_active(worker, WORKER), 5 ether, "no penalty to the worker");
        assertEq(_locked(worker, WORKER), 0, "claim bond back");
        assertEq(_locked(m[1], VERIFIER), 0, "challenge bond back");
        assertEq(_locked(m[0], VERIFIER), 0, "approval bond back");
        _assertSolvent();
    }

    /// A redraw does not reopen the dispute to new approvals or challengers.
    function test_redraw_keeps_the_seal() public {
        ILedgerV2.JobParams memory p = _params();
        p.verifyWindow = 100;
        p.challengeWindow = 100;
        uint256 job2 = _createJob(p, 10 ether);
        vm.prank(worker2);
        uint256 c = ledger.submitClaim(job2, 0, GENESIS, RESULT, ROOT, 100, URI);
        _rollToVoting(c);
        address[] memory mm = _members(c);
        uint256 d = _challenge(mm[0], c, 1, address(0), 0);
        uint256 seal = ledger.getDispute(d).jurySeedBlock;
        _jury(d, 1, 0, 0, 0);
        ledger.resolveDispute(d);
        assertEq(ledger.getDispute(d).attempt, 1, "redrawn");
        vm.prank(mm[1]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeSealed.selector, d, seal, block.number));
        ledger.approve(c);
    }

    function test_later_challenges_add_segments_until_seal() public {
        uint256 d = _challenge(m[0], id, 1, address(0), 0);
        uint256 d2 = _challenge(m[1], id, 5, address(0), 0);
        assertEq(d, d2, "one dispute per claim");
        ILedgerV2.DisputeInfo memory info = ledger.getDispute(d);
        assertEq(info.segments.length, 2, "two segments");
        assertEq(info.challengers.length, 2, "two challengers");
        vm.roll(info.jurySeedBlock + 1);
        vm.prank(m[2]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeSealed.selector, d, info.jurySeedBlock, info.jurySeedBlock + 1));
        ledger.approve(id);
        address out = _outsider(id, address(0));
        uint256[] memory segs = new uint256[](1);
        vm.prank(out);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeSealed.selector, d, info.jurySeedBlock, info.jurySeedBlock + 1));
        ledger.challenge(id, segs, new address[](1), new uint256[](1));
        // only segment 5 is faulty: challenger 0 (segment 1) loses its bond, challenger 1 wins
        _jury(d, 2, 0, 0, 3);
        ledger.resolveDispute(d);
        assertEq(_active(m[0], VERIFIER), 2.5 ether, "wrong challenger slashed");
        assertEq(_locked(m[1], VERIFIER), 0, "right challenger unlocked");
        _assertSolvent();
    }

    // ----- challenge reverts -----

    function test_challenge_reverts() public {
        uint256[] memory one = new uint256[](1);
        address[] memory none = new address[](1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidChallenge.selector, 0, 1, 1));
        ledger.challenge(id, new uint256[](0), none, one);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidChallenge.selector, 1, 0, 1));
        ledger.challenge(id, one, new address[](0), one);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidChallenge.selector, 17, 17, 17));
        ledger.challenge(id, new uint256[](17), new address[](17), new uint256[](17));
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ClaimNotFound.selector, 9));
        ledger.challenge(9, one, none, one);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.WorkerCannotVote.selector, id, worker));
        ledger.challenge(id, one, none, one);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotEligibleChallenger.selector, id, stranger));
        ledger.challenge(id, one, none, one);
        _approve(m[0], id);
        vm.prank(m[0]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotEligibleChallenger.selector, id, m[0]));
        ledger.challenge(id, one, none, one);
        uint256[] memory big = new uint256[](1);
        big[0] = 10;
        vm.prank(m[1]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.SegmentOutOfRange.selector, 10, 10));
        ledger.challenge(id, big, none, one);
        // held against an approver's draw that is not that segment / beyond s / a non-approver
        uint256 seg = _sampleOf(id, m[0], 0);
        uint256[] memory wrong = new uint256[](1);
        wrong[0] = (seg + 1) % 10;
        address[] memory against = new address[](1);
        against[0] = m[0];
        uint256[] memory d0 = new uint256[](1);
        if (_sampleOf(id, m[0], 1) != wrong[0]) {
            vm.prank(m[1]);
            vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotInSample.selector, m[0], 0, wrong[0]));
            ledger.challenge(id, wrong, against, d0);
        }
        uint256[] memory right = new uint256[](1);
        right[0] = seg;
        uint256[] memory d2 = new uint256[](1);
        d2[0] = 2;
        vm.prank(m[1]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotInSample.selector, m[0], 2, seg));
        ledger.challenge(id, right, against, d2);
        against[0] = m[2];
        vm.prank(m[1]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotInSample.selector, m[2], 0, seg));
        ledger.challenge(id, right, against, d0);
        against[0] = m[0];
        vm.prank(m[1]);
        ledger.challenge(id, right, against, d0);
        vm.prank(m[1]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.AlreadyChallenged.selector, id, m[1]));
        ledger.challenge(id, right, none, one);
        // a challenger cannot approve
        vm.prank(m[1]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.AlreadyChallenged.selector, id, m[1]));
        ledger.approve(id);
        // finalize waits for the dispute
        _rollPastChallenge(id);
        uint256 d = ledger.getClaim(id).disputeId;
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeUnresolved.selector, d));
        ledger.finalizeClaim(id);
        ILedgerV2.ClaimInfo memory c = ledger.getClaim(id);
        vm.prank(m[2]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ChallengeClosed.selector, id, c.seedBlock, c.challengeDeadline, block.number));
        ledger.challenge(id, one, none, one);
    }

    function test_dispute_full() public {
        uint256[] memory segs = new uint256[](16);
        for (uint256 i; i < 16; ++i) {
            segs[i] = i % 10;
        }
        // duplicates collapse: 10 distinct segments
        vm.prank(m[0]);
        uint256 d = ledger.challenge(id, segs, new address[](16), new uint256[](16));
        assertEq(ledger.getDispute(d).segments.length, 10, "distinct segments");
        ILedgerV2.JobParams memory p = _params();
        p.checkpointEvery = 1;
        uint256 job2 = _createJob(p, 10 ether);
        vm.prank(worker2);
        uint256 c2 = ledger.submitClaim(job2, 0, GENESIS, RESULT, ROOT, 100, URI);
        _rollToVoting(c2);
        address[] memory m2 = _members(c2);
        for (uint256 i; i < 16; ++i) {
            segs[i] = i;
        }
        vm.prank(m2[0]);
        uint256 d2 = ledger.challenge(c2, segs, new address[](16), new uint256[](16));
        uint256[] memory more = new uint256[](1);
        more[0] = 50;
        vm.prank(m2[1]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeFull.selector, d2));
        ledger.challenge(c2, more, new address[](1), new uint256[](1));
    }

    // ----- jury reverts -----

    function test_jury_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeNotFound.selector, 4));
        ledger.commitVerdict(4, bytes32(uint256(1)));
        uint256 d = _challenge(m[0], id, 1, address(0), 0);
        ILedgerV2.DisputeInfo memory info = ledger.getDispute(d);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.CommitClosed.selector, d, info.jurySeedBlock, info.commitDeadline, block.number));
        ledger.commitVerdict(d, bytes32(uint256(1)));
        _rollToCommit(d);
        address[] memory js = _jurors(d);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotJuror.selector, d, worker));
        ledger.commitVerdict(d, bytes32(uint256(1)));
        vm.prank(js[0]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.CommitmentMismatch.selector, d, js[0]));
        ledger.commitVerdict(d, 0);
        bytes32 c0 = LedgerV2Rules.commitment(1, "salt", js[0]);
        vm.prank(js[0]);
        ledger.commitVerdict(d, c0);
        vm.prank(js[0]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.AlreadyCommitted.selector, d, js[0]));
        ledger.commitVerdict(d, c0);
        vm.prank(js[1]);
        ledger.commitVerdict(d, LedgerV2Rules.commitment(2, "s1", js[1]));
        vm.prank(js[0]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.RevealClosed.selector, d, info.commitDeadline, info.revealDeadline, block.number));
        ledger.revealVerdict(d, 1, "salt");
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.RevealStillOpen.selector, d, info.revealDeadline, block.number));
        ledger.resolveDispute(d);
        _rollToReveal(d);
        vm.prank(js[2]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.CommitClosed.selector, d, info.jurySeedBlock, info.commitDeadline, block.number));
        ledger.commitVerdict(d, c0);
        vm.prank(js[2]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NothingToReveal.selector, d, js[2]));
        ledger.revealVerdict(d, 1, "salt");
        vm.prank(js[0]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.CommitmentMismatch.selector, d, js[0]));
        ledger.revealVerdict(d, 0, "salt");
        vm.prank(js[1]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidVerdicts.selector, 2, 1));
        ledger.revealVerdict(d, 2, "s1");
        vm.prank(js[0]);
        ledger.revealVerdict(d, 1, "salt");
        vm.prank(js[0]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NothingToReveal.selector, d, js[0]));
        ledger.revealVerdict(d, 1, "salt");
        _rollPastReveal(d);
        ledger.resolveDispute(d); // one reveal: redraw
        ledger.getDispute(d);
        _jury(d, 1, 0, 0, 3);
        ledger.resolveDispute(d);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeNotOpen.selector, d, ILedgerV2.DisputeStatus.Resolved));
        ledger.resolveDispute(d);
        _assertSolvent();
    }

    function test_juror_needs_unlocked_bond() public {
        uint256 d = _challenge(m[0], id, 1, address(0), 0);
        _rollToCommit(d);
        address j0 = _jurors(d)[0];
        vm.prank(j0);
        ledger.requestUnstake(VERIFIER, 2.9 ether);
        vm.prank(j0);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerV2.InsufficientUnlockedStake.selector, j0, ILedgerV2.Role.Verifier, 0.2 ether, 0.1 ether)
        );
        ledger.commitVerdict(d, bytes32(uint256(1)));
    }
}
