// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGradchainLedger} from "../src/IGradchainLedger.sol";
import {LedgerRules} from "../src/LedgerRules.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";

/// @notice Fuzz tests: vote mixes against a reference settlement, amounts, and window edges.
contract LedgerFuzzTest is LedgerFixture {
    function setUp() public {
        _deploy();
    }

    struct Mix {
        uint256 maxVotes;
        uint256 quorum;
        uint256 approvals;
        uint256 rejections;
        uint256 reward;
        uint256 fee;
        uint256 workerSlash;
        uint256 verifierSlash;
        uint256 workerStake;
        uint256 verifierStake;
    }

    function _mix(uint256 seed) internal pure returns (Mix memory m) {
        uint256[10] memory x;
        for (uint256 i; i < 10; ++i) {
            x[i] = uint256(keccak256(abi.encode(seed, i)));
        }
        m.maxVotes = bound(x[0], 1, 16);
        m.quorum = bound(x[1], 1, m.maxVotes);
        m.approvals = bound(x[2], 0, m.maxVotes);
        m.rejections = bound(x[3], 0, m.maxVotes - m.approvals);
        m.reward = bound(x[4], 0, 5 ether);
        m.fee = bound(x[5], 0, 1 ether);
        m.workerStake = bound(x[6], 1, 10 ether);
        m.verifierStake = bound(x[7], 1, 10 ether);
        m.workerSlash = bound(x[8], 0, m.workerStake);
        m.verifierSlash = bound(x[9], 0, m.verifierStake);
    }

    /// @dev Any mix of approve / reject votes settles exactly as the rules say: status, every credit, every
    ///      slash, the escrow returned, and the totals.
    function testFuzz_voteMix(uint256 seed) public {
        Mix memory m = _mix(seed);
        (uint256 jobId, uint256 claimId, address[] memory vs, uint256 escrow) = _runMix(m);
        uint8 expected = LedgerRules.outcome(m.approvals, m.rejections, m.quorum);
        assertEq(_status(claimId), expected, "status");
        _checkMix(m, expected, jobId, claimId, vs, escrow);
    }

    function _runMix(Mix memory m)
        internal
        returns (uint256 jobId, uint256 claimId, address[] memory vs, uint256 escrow)
    {
        IGradchainLedger.JobParams memory p = _params();
        p.maxVotes = uint32(m.maxVotes);
        p.quorum = uint32(m.quorum);
        p.rewardPerClaim = m.reward;
        p.verifierFee = m.fee;
        p.minWorkerStake = m.workerStake;
        p.minVerifierStake = m.verifierStake;
        p.workerSlash = m.workerSlash;
        p.verifierSlash = m.verifierSlash;
        escrow = m.reward + m.fee * m.maxVotes + 1 ether;
        jobId = _createJob(p, escrow);

        _stake(worker, WORKER, m.workerStake);
        claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        bytes32 seedHash = ledger.claimSeed(claimId);
        uint256 n = m.approvals + m.rejections;
        vs = new address[](n);
        for (uint256 i; i < n; ++i) {
            vs[i] = vm.addr(0xD000 + i);
            vm.deal(vs[i], 20 ether);
            _stake(vs[i], VERIFIER, m.verifierStake);
            vm.prank(vs[i]);
            ledger.attest(claimId, i < m.approvals, seedHash);
        }
        if (n < m.maxVotes) _rollPastDeadline(claimId);
        ledger.finalizeClaim(claimId);
    }

    function _checkMix(
        Mix memory m,
        uint8 expected,
        uint256 jobId,
        uint256 claimId,
        address[] memory vs,
        uint256 escrow
    ) internal view {
        bool accepted = expected == LedgerRules.ACCEPTED;
        bool rejected = expected == LedgerRules.REJECTED;
        uint256 winners = accepted ? m.approvals : (rejected ? m.rejections : 0);
        uint256 losers = accepted ? m.rejections : (rejected ? m.approvals : 0);
        (uint256 share, uint256 dust) =
            LedgerRules.splitSlash(losers * m.verifierSlash + (rejected ? m.workerSlash : 0), winners);

        assertEq(_credit(worker), accepted ? m.reward : 0, "worker credit");
        assertEq(_active(worker, WORKER), m.workerStake - (rejected ? m.workerSlash : 0), "worker stake");
        _checkVoters(m, expected, vs, share);
        assertEq(_locks(worker, WORKER), 0, "worker unlocked");
        uint256 paid = (accepted ? m.reward : 0) + m.fee * winners;
        assertEq(ledger.getJob(jobId).escrow, escrow - paid + dust, "escrow");
        assertEq(ledger.totalCredits(), paid + share * winners, "credits");
        (,,, uint32 acceptedCount, bytes32 acc) = ledger.roundInfo(jobId, 0);
        assertEq(acceptedCount, accepted ? 1 : 0, "accepted count");
        assertEq(acc, accepted ? keccak256(abi.encode(bytes32(0), claimId, RESULT)) : bytes32(0), "acc");
        _assertSolvent();
    }

    function _checkVoters(Mix memory m, uint8 expected, address[] memory vs, uint256 share) internal view {
        bool accepted = expected == LedgerRules.ACCEPTED;
        bool rejected = expected == LedgerRules.REJECTED;
        for (uint256 i; i < vs.length; ++i) {
            bool won = (accepted && i < m.approvals) || (rejected && i >= m.approvals);
            bool lost = (accepted || rejected) && !won;
            assertEq(_credit(vs[i]), won ? m.fee + share : 0, "verifier credit");
            assertEq(_active(vs[i], VERIFIER), m.verifierStake - (lost ? m.verifierSlash : 0), "verifier stake");
            assertEq(_locks(vs[i], VERIFIER), 0, "verifier unlocked");
        }
    }

    /// @dev Votes are accepted exactly in (seedBlock, seedBlock + verifyWindow]; finalize exactly after it.
    function testFuzz_windows(uint256 verifyWindow, uint256 offset) public {
        verifyWindow = bound(verifyWindow, 1, 200);
        IGradchainLedger.JobParams memory p = _params();
        p.verifyWindow = uint32(verifyWindow);
        p.quorum = 1;
        uint256 jobId = _createJob(p, 10 ether);
        _stakeAll();
        uint256 claimId = _submit(jobId, worker);
        IGradchainLedger.ClaimView memory c = ledger.getClaim(claimId);
        offset = bound(offset, 0, verifyWindow + 5);
        uint256 at = uint256(c.submitBlock) + offset;
        vm.roll(at);
        if (at <= c.seedBlock) {
            vm.expectRevert(
                abi.encodeWithSelector(IGradchainLedger.SeedNotYetAvailable.selector, c.seedBlock, at)
            );
            vm.prank(v1);
            ledger.attest(claimId, true, bytes32(0));
        } else if (at > c.deadline) {
            bytes32 seed = ledger.claimSeed(claimId);
            vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.VotingClosed.selector, c.deadline, at));
            vm.prank(v1);
            ledger.attest(claimId, true, seed);
            ledger.finalizeClaim(claimId);
            assertEq(_status(claimId), uint256(IGradchainLedger.ClaimStatus.Expired), "expired");
        } else {
            _vote(v1, claimId, true);
            if (at <= c.deadline) {
                vm.expectRevert(
                    abi.encodeWithSelector(IGradchainLedger.VotingStillOpen.selector, c.deadline, at)
                );
                ledger.finalizeClaim(claimId);
            }
            vm.roll(uint256(c.deadline) + 1);
            ledger.finalizeClaim(claimId);
            assertEq(_status(claimId), uint256(IGradchainLedger.ClaimStatus.Accepted), "accepted");
        }
    }

    /// @dev Submission is open exactly in [roundStart, roundStart + submitWindow).
    function testFuzz_submitWindow(uint256 submitWindow, uint256 offset) public {
        submitWindow = bound(submitWindow, 1, 1000);
        IGradchainLedger.JobParams memory p = _params();
        p.submitWindow = uint32(submitWindow);
        uint256 jobId = _createJob(p, 10 ether);
        _stake(worker, WORKER, 2 ether);
        uint256 start = ledger.getJob(jobId).roundStart;
        offset = bound(offset, 0, submitWindow * 2);
        vm.roll(start + offset);
        if (offset >= submitWindow) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IGradchainLedger.SubmissionWindowClosed.selector, start + submitWindow, start + offset
                )
            );
        }
        vm.prank(worker);
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 1, URI);
    }

    /// @dev Escrow and stake amounts move exactly, and the balance identity holds throughout.
    function testFuzz_amounts(uint256 escrow, uint256 topUp, uint256 take, uint256 stakeAmt, uint256 unstakeAmt)
        public
    {
        escrow = bound(escrow, 0, 100 ether);
        topUp = bound(topUp, 1, 100 ether);
        uint256 jobId = _createJob(_params(), escrow);
        vm.prank(stranger);
        ledger.fund{value: topUp}(jobId);
        take = bound(take, 1, escrow + topUp);
        vm.prank(owner);
        ledger.withdrawEscrow(jobId, take);
        assertEq(ledger.getJob(jobId).escrow, escrow + topUp - take, "escrow");

        stakeAmt = bound(stakeAmt, 1, 500 ether);
        unstakeAmt = bound(unstakeAmt, 1, stakeAmt);
        _stake(v1, VERIFIER, stakeAmt);
        vm.prank(v1);
        ledger.requestUnstake(VERIFIER, unstakeAmt);
        (uint256 active, uint256 unbonding,,) = ledger.stakeOf(v1, VERIFIER);
        assertEq(active, stakeAmt - unstakeAmt, "active");
        assertEq(unbonding, unstakeAmt, "unbonding");
        _assertSolvent();
        vm.roll(block.number + UNBONDING);
        uint256 before = v1.balance;
        vm.prank(v1);
        ledger.withdrawStake(VERIFIER);
        assertEq(v1.balance, before + unstakeAmt, "paid");
        _assertSolvent();
    }

    /// @dev Pure rules: the outcome is one of three and never both sides win; the split loses nothing.
    function testFuzz_rules(uint8 approvals, uint8 rejections, uint8 quorum, uint256 slashed, uint8 winners)
        public
        pure
    {
        quorum = uint8(bound(quorum, 1, 16));
        uint8 o = LedgerRules.outcome(approvals, rejections, quorum);
        if (o == LedgerRules.ACCEPTED) assertTrue(approvals >= quorum && approvals > rejections, "accept rule");
        else if (o == LedgerRules.REJECTED) assertTrue(rejections >= quorum && rejections >= approvals, "reject rule");
        else assertTrue(o == LedgerRules.EXPIRED && !(approvals >= quorum && approvals > rejections), "expire rule");
        slashed = bound(slashed, 0, 1e30);
        (uint256 share, uint256 dust) = LedgerRules.splitSlash(slashed, winners);
        assertEq(share * winners + dust, slashed, "split conserves");
        if (winners > 0) assertTrue(dust < winners, "dust below winners");
    }

    /// @dev A verifier that loses twice while its stake is already exhausted is slashed only what it has.
    function test_slashCappedByActiveStake() public {
        IGradchainLedger.JobParams memory p = _params();
        p.verifierSlash = 1 ether; // == minVerifierStake
        uint256 jobId = _createJob(p, 10 ether);
        _stakeAll();
        uint256 c1 = _submit(jobId, worker);
        uint256 c2 = _submit(jobId, worker2);
        _rollToVoting(c1);
        _vote(v1, c1, true);
        _vote(v2, c1, true);
        _vote(v3, c1, false);
        _vote(v1, c2, true);
        _vote(v2, c2, true);
        _vote(v3, c2, false);
        ledger.finalizeClaim(c1);
        assertEq(_active(v3, VERIFIER), 0, "first slash takes all");
        ledger.finalizeClaim(c2); // min(1 ether, 0) = 0: no slash, no share
        assertEq(_credit(v1), 0.1 ether + 0.5 ether + 0.1 ether, "fees and one share");
        _assertSolvent();
    }
}
