// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../src/v2/ILedgerV2.sol";
import {LedgerV2Rules} from "../../src/v2/LedgerV2Rules.sol";
import {V2Fixture} from "./utils/V2Fixture.sol";

/// @notice Fuzz: amounts, timings, and mixes of approvals, challenges and jury verdicts.
contract LedgerV2FuzzTest is V2Fixture {
    function setUp() public {
        _setUpAll();
    }

    function testFuzz_stake_unstake_amounts(uint256 a, uint256 b, uint256 c) public {
        a = bound(a, 1, 50 ether);
        vm.prank(stranger);
        ledger.stake{value: a}(VERIFIER);
        ILedgerV2.StakeInfo memory s = ledger.stakeOf(stranger, VERIFIER);
        assertEq(s.active, a, "active");
        assertEq(s.seatPlusOne != 0 ? 1 : 0, a >= SEAT_STAKE ? 1 : 0, "seat iff >= seatStake");
        b = bound(b, 1, a);
        vm.prank(stranger);
        ledger.requestUnstake(VERIFIER, b);
        assertEq(ledger.stakeOf(stranger, VERIFIER).active, a - b, "active after unstake");
        c = bound(c, 0, UNBONDING * 2);
        vm.roll(block.number + c);
        vm.prank(stranger);
        if (c < UNBONDING) {
            vm.expectRevert();
            ledger.withdrawStake(VERIFIER);
        } else {
            ledger.withdrawStake(VERIFIER);
            assertEq(ledger.stakeOf(stranger, VERIFIER).unbonding, 0, "paid");
        }
        _assertSolvent();
    }

    function testFuzz_claim_bond_amounts(uint96 bond, uint96 stakeAmt) public {
        ILedgerV2.JobParams memory p = _params();
        p.claimBond = uint96(bound(bond, 1, 20 ether));
        p.expiryPenalty = 0;
        uint256 job = _createJob(p, 50 ether);
        stakeAmt = uint96(bound(stakeAmt, 1, 20 ether));
        vm.prank(stranger);
        ledger.stake{value: stakeAmt}(WORKER);
        vm.prank(stranger);
        if (stakeAmt < p.claimBond) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ILedgerV2.InsufficientUnlockedStake.selector, stranger, ILedgerV2.Role.Worker, p.claimBond, stakeAmt
                )
            );
            ledger.submitClaim(job, 0, GENESIS, RESULT, ROOT, 100, URI);
        } else {
            ledger.submitClaim(job, 0, GENESIS, RESULT, ROOT, 100, URI);
            assertEq(_locked(stranger, WORKER), p.claimBond, "bond locked");
        }
        _assertSolvent();
    }

    function testFuzz_vote_and_challenge_timing(uint256 voteAt, uint256 challengeAt) public {
        uint256 id = _submit(worker);
        ILedgerV2.ClaimInfo memory c = ledger.getClaim(id);
        vm.roll(c.seedBlock + 1);
        address[] memory m = _members(id); // records nothing; seed is live
        voteAt = bound(voteAt, c.seedBlock - 2, c.voteDeadline + 5);
        vm.roll(voteAt);
        vm.prank(m[0]);
        bool voteOk = voteAt > c.seedBlock && voteAt <= c.voteDeadline;
        if (!voteOk) vm.expectRevert();
        ledger.approve(id);
        challengeAt = bound(challengeAt, voteAt, c.challengeDeadline + 5);
        vm.roll(challengeAt);
        bool chOk = challengeAt > c.seedBlock && challengeAt <= c.challengeDeadline;
        uint256[] memory segs = new uint256[](1);
        vm.prank(m[1]);
        if (!chOk) vm.expectRevert();
        ledger.challenge(id, segs, new address[](1), new uint256[](1));
        vm.roll(c.challengeDeadline);
        vm.expectRevert();
        ledger.finalizeClaim(id);
    }

    /// Any mix of approvals, an optional challenge and a jury verdict settles exactly as PROTOCOL.md 4.3-4.4 says.
    function testFuzz_vote_challenge_mix(uint8 approveMask, bool challenged, uint8 verdictVotes, uint8 reveals) public {
        uint256 id = _submit(worker);
        _rollToVoting(id);
        address[] memory m = _members(id);
        uint256 approvals;
        for (uint256 i; i < 3; ++i) {
            if (approveMask & (1 << i) != 0) {
                _approve(m[i], id);
                approvals++;
            }
        }
        bool faulty;
        bool noVerdict;
        if (challenged) {
            address ch = _outsider(id, address(0));
            uint256 d = _challenge(ch, id, 0, address(0), 0);
            reveals = uint8(bound(reveals, 0, 3));
            _rollToCommit(d);
            address[] memory js = _jurors(d);
            uint256 faultyVotes;
            for (uint256 i; i < js.length; ++i) {
                uint256 v = (verdictVotes >> i) & 1;
                vm.prank(js[i]);
                ledger.commitVerdict(d, LedgerV2Rules.commitment(v, bytes32(i), js[i]));
            }
            _rollToReveal(d);
            for (uint256 i; i < js.length && i < reveals; ++i) {
                uint256 v = (verdictVotes >> i) & 1;
                faultyVotes += v;
                vm.prank(js[i]);
                ledger.revealVerdict(d, v, bytes32(i));
            }
            _rollPastReveal(d);
            ledger.resolveDispute(d);
            uint256 n = reveals < js.length ? reveals : js.length;
            if (n < 2) {
                _jury(d, 0, 0, 0, 0); // the redraw: nobody reveals
                ledger.resolveDispute(d);
                noVerdict = true;
            } else {
                faulty = faultyVotes * 2 > n;
            }
        }
        ILedgerV2.ClaimStatus st = ledger.getClaim(id).status;
        if (st == ILedgerV2.ClaimStatus.Pending) {
            _rollPastChallenge(id);
            ledger.finalizeClaim(id);
            st = ledger.getClaim(id).status;
        }
        if (noVerdict) assertTrue(st == ILedgerV2.ClaimStatus.Expired, "no verdict: expired");
        else if (faulty) assertTrue(st == ILedgerV2.ClaimStatus.Rejected, "fault: rejected");
        else if (approvals >= 2) assertTrue(st == ILedgerV2.ClaimStatus.Accepted, "accepted");
        else assertTrue(st == ILedgerV2.ClaimStatus.Expired, "too few approvals: expired");
        assertEq(_locked(worker, WORKER), 0, "worker unlocked");
        for (uint256 i; i < 3; ++i) {
            assertEq(_locked(m[i], VERIFIER), 0, "members unlocked");
        }
        _assertSolvent();
    }

    function testFuzz_reveal_needs_exact_commitment(uint256 verdicts, bytes32 salt, bytes32 wrongSalt) public {
        vm.assume(salt != wrongSalt);
        uint256 id = _submit(worker);
        _rollToVoting(id);
        uint256 d = _challenge(_members(id)[0], id, 1, address(0), 0);
        _rollToCommit(d);
        address j = _jurors(d)[0];
        verdicts = verdicts % 2;
        vm.prank(j);
        ledger.commitVerdict(d, LedgerV2Rules.commitment(verdicts, salt, j));
        _rollToReveal(d);
        vm.prank(j);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.CommitmentMismatch.selector, d, j));
        ledger.revealVerdict(d, verdicts, wrongSalt);
        vm.prank(j);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.CommitmentMismatch.selector, d, j));
        ledger.revealVerdict(d, 1 - verdicts, salt);
        vm.prank(j);
        ledger.revealVerdict(d, verdicts, salt);
    }

    function testFuzz_rules(uint256 pot, uint8 winners, uint8 jury, uint8 faultyVotes, uint8 reveals) public pure {
        pot = bound(pot, 0, 1e30);
        (uint256 share, uint256 dust) = LedgerV2Rules.split(pot, winners);
        if (winners == 0) assertEq(dust, pot, "no winner: all dust");
        else assertEq(share * winners + dust, pot, "split conserves");
        assertTrue(dust < (winners == 0 ? pot + 1 : winners), "dust below winners");
        assertEq(LedgerV2Rules.revealQuorum(jury) * 2 >= jury ? 1 : 0, 1, "ceil(J/2)");
        assertTrue(LedgerV2Rules.provenFaulty(faultyVotes, reveals) == (uint256(faultyVotes) * 2 > reveals), "majority");
    }

    function testFuzz_eligibility(uint40 reg, uint40 ret, uint40 at) public pure {
        bool e = LedgerV2Rules.eligible(reg, ret, at);
        assertTrue(e == (reg < at && (ret == 0 || ret > at)), "eligible rule");
    }
}
