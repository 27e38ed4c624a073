// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGradchainLedger} from "../src/IGradchainLedger.sol";
import {LedgerRounds} from "../src/LedgerRounds.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";

/// @notice Unit tests: proposeHead, attestHead, finalizeHead and round advancement.
contract LedgerHeadsTest is LedgerFixture {
    uint256 internal jobId;
    bytes32 internal constant NEW_HEAD = keccak256("head-1");

    function setUp() public {
        _deploy();
        jobId = _createJob();
        _stakeAll();
    }

    function _err(bytes4 sel, uint256 a, uint256 b) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(sel, a, b);
    }

    /// @dev One accepted claim in round 0, then past the submission window.
    function _acceptedRound() internal returns (uint256 claimId, bytes32 acc) {
        claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        _vote(v1, claimId, true);
        _vote(v2, claimId, true);
        _vote(v3, claimId, true);
        ledger.finalizeClaim(claimId);
        vm.roll(ledger.getJob(jobId).roundStart + 10);
        (,,,, acc) = ledger.roundInfo(jobId, 0);
    }

    function test_fullRound_advancesHead() public {
        (uint256 claimId, bytes32 acc) = _acceptedRound();
        assertEq(acc, keccak256(abi.encode(bytes32(0), claimId, RESULT)), "acc");

        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.HeadProposed(1, jobId, 0, stranger, GENESIS, NEW_HEAD, acc, uint64(block.number));
        vm.prank(stranger);
        uint256 pid = ledger.proposeHead(jobId, 0, NEW_HEAD, acc);
        assertEq(pid, 1, "first proposal id");
        assertEq(ledger.getJob(jobId).pendingProposal, 1, "pending");

        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.HeadAttested(pid, v1, true);
        vm.prank(v1);
        ledger.attestHead(pid, true);
        vm.prank(v2);
        ledger.attestHead(pid, true);
        vm.prank(v3);
        ledger.attestHead(pid, false);
        assertEq(_locks(v1, VERIFIER), 0, "head votes lock no stake");

        IGradchainLedger.ProposalView memory p = ledger.getProposal(pid);
        assertEq(p.jobId, jobId, "job");
        assertEq(p.round, 0, "round");
        assertEq(p.proposer, stranger, "proposer");
        assertEq(p.parent, GENESIS, "parent");
        assertEq(p.newHead, NEW_HEAD, "newHead");
        assertEq(p.proposeBlock, block.number, "proposeBlock");
        assertEq(p.deadline, block.number + 20, "deadline");
        assertEq(p.approvals, 2, "approvals");
        assertEq(p.rejections, 1, "rejections");

        // maxVotes reached: final before the window ends.
        vm.roll(block.number + 1);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.HeadFinalized(pid, jobId, 0, IGradchainLedger.ProposalStatus.Accepted, 2, 1);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.HeadAdvanced(jobId, 1, GENESIS, NEW_HEAD);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.RoundStarted(jobId, 1, NEW_HEAD, uint64(block.number));
        ledger.finalizeHead(pid);

        IGradchainLedger.JobView memory j = ledger.getJob(jobId);
        assertEq(j.round, 1, "round 1");
        assertEq(j.head, NEW_HEAD, "head");
        assertEq(j.roundStart, block.number, "start");
        assertEq(j.pendingProposal, 0, "none pending");
        (uint64 start0, bytes32 head0,, uint32 accepted0, bytes32 acc0) = ledger.roundInfo(jobId, 0);
        assertEq(head0, GENESIS, "round 0 head kept");
        assertEq(accepted0, 1, "round 0 accepted archived");
        assertEq(acc0, acc, "round 0 acc kept");
        assertTrue(start0 < block.number, "round 0 start");
        (uint64 start1, bytes32 head1, uint32 open1, uint32 accepted1, bytes32 acc1) = ledger.roundInfo(jobId, 1);
        assertEq(start1, block.number, "round 1 start");
        assertEq(head1, NEW_HEAD, "round 1 head");
        assertEq(open1 + accepted1, 0, "round 1 empty");
        assertEq(acc1, bytes32(0), "round 1 acc");

        // The next round's claims train from the new head.
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.WrongBase.selector, NEW_HEAD, GENESIS));
        vm.prank(worker);
        ledger.submitClaim(jobId, 1, GENESIS, RESULT, ROOT, 1, URI);
        _submit(jobId, worker); // one claim per worker per round: a new round allows a new claim
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ProposalNotPending.selector, pid, IGradchainLedger.ProposalStatus.Accepted));
        ledger.finalizeHead(pid);
    }

    function test_proposeHead_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.JobNotFound.selector, 9));
        ledger.proposeHead(9, 0, GENESIS, bytes32(0));
        vm.expectRevert(_err(IGradchainLedger.WrongRound.selector, 0, 1));
        ledger.proposeHead(jobId, 1, GENESIS, bytes32(0));
        uint256 start = ledger.getJob(jobId).roundStart;
        vm.expectRevert(_err(IGradchainLedger.SubmissionWindowOpen.selector, start + 10, block.number));
        ledger.proposeHead(jobId, 0, GENESIS, bytes32(0));

        uint256 claimId = _submit(jobId, worker);
        vm.roll(start + 10);
        vm.expectRevert(_err(IGradchainLedger.OpenClaims.selector, jobId, 1));
        ledger.proposeHead(jobId, 0, GENESIS, bytes32(0));

        _rollPastDeadline(claimId);
        ledger.finalizeClaim(claimId); // expired: no accepted claim
        vm.expectRevert(
            abi.encodeWithSelector(IGradchainLedger.WrongAcceptedClaimsRoot.selector, bytes32(0), bytes32(uint256(5)))
        );
        ledger.proposeHead(jobId, 0, GENESIS, bytes32(uint256(5)));
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.HeadMustNotChange.selector, GENESIS, NEW_HEAD));
        ledger.proposeHead(jobId, 0, NEW_HEAD, bytes32(0));

        uint256 pid = ledger.proposeHead(jobId, 0, GENESIS, bytes32(0)); // keeping the head is allowed
        vm.expectRevert(_err(IGradchainLedger.ProposalAlreadyPending.selector, jobId, pid));
        ledger.proposeHead(jobId, 0, GENESIS, bytes32(0));
    }

    function test_proposeHead_zeroHead() public {
        (, bytes32 acc) = _acceptedRound();
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ZeroHash.selector));
        ledger.proposeHead(jobId, 0, bytes32(0), acc);
    }

    function test_attestHead_reverts() public {
        (, bytes32 acc) = _acceptedRound();
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ProposalNotFound.selector, 1));
        ledger.attestHead(1, true);
        uint256 pid = ledger.proposeHead(jobId, 0, NEW_HEAD, acc);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGradchainLedger.InsufficientStake.selector, stranger, IGradchainLedger.Role.Verifier, 1 ether, 0
            )
        );
        vm.prank(stranger);
        ledger.attestHead(pid, true);
        vm.prank(v1);
        ledger.attestHead(pid, true);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.AlreadyVoted.selector, pid, v1));
        vm.prank(v1);
        ledger.attestHead(pid, false);
        vm.prank(v2);
        ledger.attestHead(pid, false);
        vm.prank(v3);
        ledger.attestHead(pid, false);
        vm.expectRevert(_err(IGradchainLedger.VoteLimitReached.selector, pid, 3));
        vm.prank(v4);
        ledger.attestHead(pid, true);

        ledger.finalizeHead(pid); // 1 approve, 2 reject: Rejected
        assertEq(uint256(ledger.getProposal(pid).status), uint256(IGradchainLedger.ProposalStatus.Rejected), "rej");
        assertEq(ledger.getJob(jobId).round, 0, "round kept");
        vm.expectRevert(
            abi.encodeWithSelector(
                IGradchainLedger.ProposalNotPending.selector, pid, IGradchainLedger.ProposalStatus.Rejected
            )
        );
        vm.prank(v4);
        ledger.attestHead(pid, true);

        // A fresh proposal may follow; its window closes after proposeBlock + verifyWindow.
        uint256 pid2 = ledger.proposeHead(jobId, 0, NEW_HEAD, acc);
        assertEq(pid2, 2, "second proposal");
        uint256 deadline = block.number + 20;
        vm.roll(deadline + 1);
        vm.expectRevert(_err(IGradchainLedger.VotingClosed.selector, deadline, deadline + 1));
        vm.prank(v4);
        ledger.attestHead(pid2, true);
    }

    function test_finalizeHead_expiredAndStillOpen() public {
        (, bytes32 acc) = _acceptedRound();
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ProposalNotFound.selector, 1));
        ledger.finalizeHead(1);
        uint256 pid = ledger.proposeHead(jobId, 0, NEW_HEAD, acc);
        uint256 deadline = block.number + 20;
        vm.prank(v1);
        ledger.attestHead(pid, true);
        vm.roll(deadline);
        vm.expectRevert(_err(IGradchainLedger.VotingStillOpen.selector, deadline, deadline));
        ledger.finalizeHead(pid);
        vm.roll(deadline + 1);
        ledger.finalizeHead(pid);
        assertEq(uint256(ledger.getProposal(pid).status), uint256(IGradchainLedger.ProposalStatus.Expired), "exp");
        assertEq(ledger.getJob(jobId).pendingProposal, 0, "cleared");
        assertEq(ledger.getJob(jobId).head, GENESIS, "head kept");
    }

    /// @dev The module alone has its own empty storage: calling it directly touches no ledger state.
    function test_roundsModuleDirectCallIsInert() public {
        LedgerRounds module = new LedgerRounds();
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ProposalNotFound.selector, 1));
        module.finalizeHead(1);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.JobNotFound.selector, jobId));
        module.fund{value: 1}(jobId);
    }
}
