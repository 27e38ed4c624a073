// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../src/v2/ILedgerV2.sol";
import {V2Fixture} from "./utils/V2Fixture.sol";

/// @notice proposeHead, challengeHead, finalizeHead (PROTOCOL.md 4.5): optimistic heads, bogus heads replaced,
///         false head challenges slashed, and every revert.
contract LedgerV2HeadsTest is V2Fixture {
    bytes32 internal constant MEAN = keccak256("mean");
    bytes32 internal constant BOGUS = keccak256("bogus");
    uint256 internal claimId;

    function setUp() public {
        _setUpAll();
        claimId = _submit(worker);
        _rollToVoting(claimId);
        address[] memory m = _members(claimId);
        _approve(m[0], claimId);
        _approve(m[1], claimId);
        _rollPastChallenge(claimId);
        ledger.finalizeClaim(claimId);
    }

    function _propose(bytes32 head) internal returns (uint256 pid) {
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        vm.prank(aggregator);
        pid = ledger.proposeHead(jobId, j.round, head, j.accumulator);
    }

    function _finalizeAfterWindow(uint256 pid) internal {
        vm.roll(ledger.getProposal(pid).proposeBlock + 11);
        ledger.finalizeHead(pid);
    }

    function test_unchallenged_head_advances_round() public {
        uint256 pid = _propose(MEAN);
        assertEq(_locked(aggregator, VERIFIER), 1 ether, "head bond locked");
        _finalizeAfterWindow(pid);
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        assertEq(j.round, 1, "round 1");
        assertEq(j.head, MEAN, "new head");
        assertEq(j.pendingProposal, 0, "no pending proposal");
        assertEq(_locked(aggregator, VERIFIER), 0, "head bond released");
        assertTrue(ledger.getProposal(pid).status == ILedgerV2.ProposalStatus.Accepted, "accepted");
        assertEq(ledger.getProposal(pid).parent, GENESIS, "parent is the genesis head");
        // the next round builds on it
        uint256 next = _submit(worker2);
        assertEq(ledger.getClaim(next).round, 1, "claim of round 1");
        _assertSolvent();
    }

    function test_bogus_head_challenged_and_replaced() public {
        uint256 pid = _propose(BOGUS);
        address challenger = vs[0];
        vm.prank(challenger);
        uint256 d = ledger.challengeHead(pid);
        _jury(d, 1, 0, 0, 3); // the head is not the mean
        address[] memory js = _jurors(d);
        ledger.resolveDispute(d);
        assertTrue(ledger.getProposal(pid).status == ILedgerV2.ProposalStatus.Rejected, "rejected");
        assertEq(_active(aggregator, VERIFIER), 4 ether, "proposer slashed");
        assertEq(ledger.creditOf(challenger), 0.25 ether, "challenger's share of 1 ETH over 4");
        assertEq(ledger.creditOf(js[0]), 0.25 ether, "juror share");
        assertEq(ledger.getJob(jobId).round, 0, "round unchanged");
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ProposalNotPending.selector, pid, ILedgerV2.ProposalStatus.Rejected));
        ledger.finalizeHead(pid);
        uint256 pid2 = _propose(MEAN);
        _finalizeAfterWindow(pid2);
        assertEq(ledger.getJob(jobId).head, MEAN, "right head installed");
        assertEq(ledger.getJob(jobId).round, 1, "advanced once");
        _assertSolvent();
    }

    function test_false_head_challenge_slashes_challenger() public {
        uint256 pid = _propose(MEAN);
        uint256 before = _active(vs[1], VERIFIER);
        vm.prank(vs[1]);
        uint256 d = ledger.challengeHead(pid);
        _jury(d, 0, 0, 0, 3);
        ledger.resolveDispute(d);
        assertEq(_active(vs[1], VERIFIER), before - 0.5 ether, "challenger slashed");
        assertEq(ledger.creditOf(aggregator), uint256(0.5 ether) / 4, "proposer shares");
        _finalizeAfterWindow(pid);
        assertEq(ledger.getJob(jobId).head, MEAN, "head installed");
        _assertSolvent();
    }

    function test_head_dispute_without_verdict_drops_proposal() public {
        uint256 pid = _propose(MEAN);
        vm.prank(vs[1]);
        uint256 d = ledger.challengeHead(pid);
        _jury(d, 0, 0, 0, 0);
        ledger.resolveDispute(d); // redraw
        _jury(d, 0, 0, 0, 0);
        ledger.resolveDispute(d);
        assertTrue(ledger.getProposal(pid).status == ILedgerV2.ProposalStatus.Dropped, "dropped");
        assertEq(_locked(aggregator, VERIFIER), 0, "head bond back");
        assertEq(_locked(vs[1], VERIFIER), 0, "challenge bond back");
        _propose(MEAN);
        _assertSolvent();
    }

    function test_propose_reverts() public {
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        vm.startPrank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.JobNotFound.selector, 7));
        ledger.proposeHead(7, 0, MEAN, j.accumulator);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.WrongRound.selector, jobId, 1, 0));
        ledger.proposeHead(jobId, 1, MEAN, j.accumulator);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.WrongAcceptedRoot.selector, bytes32(0), j.accumulator));
        ledger.proposeHead(jobId, 0, MEAN, 0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidHead.selector, bytes32(0)));
        ledger.proposeHead(jobId, 0, 0, j.accumulator);
        vm.stopPrank();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerV2.InsufficientUnlockedStake.selector, stranger, ILedgerV2.Role.Verifier, 1 ether, 0)
        );
        ledger.proposeHead(jobId, 0, MEAN, j.accumulator);
        uint256 pid = _propose(MEAN);
        vm.prank(vs[0]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ProposalPending.selector, jobId, pid));
        ledger.proposeHead(jobId, 0, MEAN, j.accumulator);
        _finalizeAfterWindow(pid);
        // round 1: window open, then a claim open, then no accepted claim means head must stay
        j = ledger.getJob(jobId);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.SubmitWindowOpen.selector, jobId, j.roundStart + 10, block.number));
        ledger.proposeHead(jobId, 1, MEAN, 0);
        uint256 c = _submit(worker);
        vm.roll(j.roundStart + 10);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.RoundNotSettled.selector, jobId, 1));
        ledger.proposeHead(jobId, 1, MEAN, 0);
        _rollPastChallenge(c);
        ledger.finalizeClaim(c); // expired: nothing accepted
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidHead.selector, BOGUS));
        ledger.proposeHead(jobId, 1, BOGUS, 0);
        vm.prank(aggregator);
        ledger.proposeHead(jobId, 1, MEAN, 0); // the head is kept
    }

    /// @dev A round that holds maxClaimsPerRound claims takes no more, so its head may be proposed as soon as they
    ///      are final, before its submission window ends; one claim short of the cap, it may not.
    function test_full_round_closes_its_submissions_early() public {
        ILedgerV2.JobParams memory p = _params();
        p.maxClaimsPerRound = 2;
        p.submitWindow = 200; // far beyond the claims' own windows
        jobId = _createJob(p, 100 ether);
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        uint256 c1 = _submit(worker);
        _rollPastChallenge(c1);
        ledger.finalizeClaim(c1); // nobody approved: Expired, so the head stays
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.SubmitWindowOpen.selector, jobId, j.roundStart + 200, block.number));
        ledger.proposeHead(jobId, 0, j.head, 0);
        uint256 c2 = _submit(worker2); // the round is full now
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.RoundFull.selector, jobId, 0, 2));
        ledger.submitClaim(jobId, 0, j.head, keccak256("third"), ROOT, uint32(STEPS), URI);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.RoundNotSettled.selector, jobId, 1));
        ledger.proposeHead(jobId, 0, j.head, 0);
        _rollPastChallenge(c2);
        ledger.finalizeClaim(c2);
        assertTrue(block.number < j.roundStart + 200, "still inside the submission window");
        vm.prank(aggregator);
        uint256 pid = ledger.proposeHead(jobId, 0, j.head, 0);
        _finalizeAfterWindow(pid);
        assertEq(ledger.getJob(jobId).round, 1, "the full round advanced before its window ended");
    }

    function test_challenge_and_finalize_head_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ProposalNotFound.selector, 5));
        ledger.challengeHead(5);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ProposalNotFound.selector, 5));
        ledger.finalizeHead(5);
        uint256 pid = _propose(MEAN);
        uint256 closes = ledger.getProposal(pid).proposeBlock + 10;
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.WindowOpen.selector, closes, block.number));
        ledger.finalizeHead(pid);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotEligibleChallenger.selector, pid, stranger));
        ledger.challengeHead(pid);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotEligibleChallenger.selector, pid, aggregator));
        ledger.challengeHead(pid);
        vm.prank(vs[2]);
        uint256 d = ledger.challengeHead(pid);
        vm.prank(vs[3]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.HeadAlreadyChallenged.selector, pid, d));
        ledger.challengeHead(pid);
        vm.roll(closes + 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.DisputeUnresolved.selector, d));
        ledger.finalizeHead(pid);
        vm.prank(vs[3]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.HeadWindowClosed.selector, pid, closes, closes + 1));
        ledger.challengeHead(pid);
        _jury(d, 0, 0, 0, 3);
        ledger.resolveDispute(d);
        ledger.finalizeHead(pid);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ProposalNotPending.selector, pid, ILedgerV2.ProposalStatus.Accepted));
        ledger.finalizeHead(pid);
        vm.prank(vs[3]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ProposalNotPending.selector, pid, ILedgerV2.ProposalStatus.Accepted));
        ledger.challengeHead(pid);
    }
}
