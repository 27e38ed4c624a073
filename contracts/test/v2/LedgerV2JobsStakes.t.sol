// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../src/v2/ILedgerV2.sol";
import {LedgerV2} from "../../src/v2/LedgerV2.sol";
import {LedgerV2Jobs} from "../../src/v2/LedgerV2Jobs.sol";
import {LedgerV2Disputes} from "../../src/v2/LedgerV2Disputes.sol";
import {LedgerV2Views} from "../../src/v2/LedgerV2Views.sol";
import {V2Fixture} from "./utils/V2Fixture.sol";

/// @notice Constructor, createJob validation, fund / withdrawEscrow, stakes, seats and bonds.
contract LedgerV2JobsStakesTest is V2Fixture {
    function setUp() public {
        _deploy();
    }

    function test_constructor_reverts() public {
        address j = address(new LedgerV2Jobs());
        address d = address(new LedgerV2Disputes());
        address v = address(new LedgerV2Views());
        vm.expectRevert(ILedgerV2.ZeroAmount.selector);
        new LedgerV2(1, 0, j, d, v);
        vm.expectRevert(ILedgerV2.ModuleMissing.selector);
        new LedgerV2(1, 1, j, address(0x1234), v);
        LedgerV2 l = new LedgerV2(7, 2 ether, j, d, v);
        assertEq(l.unbondingDelay(), 7, "delay");
        assertEq(l.seatStake(), 2 ether, "seat stake");
        assertEq(l.SEED_DELAY(), 2, "seed delay");
    }

    function _expectParam(ILedgerV2.JobParams memory p, ILedgerV2.Param which, uint256 value, uint256 limit) internal {
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidJobParam.selector, which, value, limit));
        ledger.createJob(p);
    }

    function test_createJob_validates_every_param() public {
        ILedgerV2.JobParams memory p;
        p = _params(); p.genesisHead = 0; _expectParam(p, ILedgerV2.Param.GenesisHead, 0, 0);
        p = _params(); p.committeeSize = 0; _expectParam(p, ILedgerV2.Param.CommitteeSize, 0, 16);
        p = _params(); p.committeeSize = 17; _expectParam(p, ILedgerV2.Param.CommitteeSize, 17, 16);
        p = _params(); p.quorum = 0; _expectParam(p, ILedgerV2.Param.Quorum, 0, 3);
        p = _params(); p.quorum = 4; _expectParam(p, ILedgerV2.Param.Quorum, 4, 3);
        p = _params(); p.jurySize = 0; _expectParam(p, ILedgerV2.Param.JurySize, 0, 15);
        p = _params(); p.jurySize = 16; _expectParam(p, ILedgerV2.Param.JurySize, 16, 15);
        p = _params(); p.samplesPerMember = 0; _expectParam(p, ILedgerV2.Param.SamplesPerMember, 0, 16);
        p = _params(); p.samplesPerMember = 17; _expectParam(p, ILedgerV2.Param.SamplesPerMember, 17, 16);
        p = _params(); p.checkpointEvery = 0; _expectParam(p, ILedgerV2.Param.CheckpointEvery, 0, 1);
        p = _params(); p.maxClaimsPerRound = 0; _expectParam(p, ILedgerV2.Param.MaxClaimsPerRound, 0, 1);
        p = _params(); p.maxRedraws = 5; _expectParam(p, ILedgerV2.Param.MaxRedraws, 5, 4);
        p = _params(); p.submitWindow = 0; _expectParam(p, ILedgerV2.Param.SubmitWindow, 0, 1);
        p = _params(); p.verifyWindow = 0; _expectParam(p, ILedgerV2.Param.VerifyWindow, 0, 1);
        p = _params(); p.challengeWindow = 0; _expectParam(p, ILedgerV2.Param.ChallengeWindow, 0, 1);
        p = _params(); p.challengeWindow = 231; _expectParam(p, ILedgerV2.Param.ChallengeWindow, 241, 240);
        p = _params(); p.commitWindow = 0; _expectParam(p, ILedgerV2.Param.CommitWindow, 0, 240);
        p = _params(); p.commitWindow = 241; _expectParam(p, ILedgerV2.Param.CommitWindow, 241, 240);
        p = _params(); p.revealWindow = 0; _expectParam(p, ILedgerV2.Param.RevealWindow, 0, 1);
        p = _params(); p.headWindow = 0; _expectParam(p, ILedgerV2.Param.HeadWindow, 0, 1);
        p = _params(); p.claimBond = 0; p.expiryPenalty = 0; _expectParam(p, ILedgerV2.Param.ClaimBond, 0, 1);
        p = _params(); p.approvalBond = 0; p.missPenalty = 0; _expectParam(p, ILedgerV2.Param.ApprovalBond, 0, 1);
        p = _params(); p.challengeBond = 0; _expectParam(p, ILedgerV2.Param.ChallengeBond, 0, 1);
        p = _params(); p.jurorBond = 0; _expectParam(p, ILedgerV2.Param.JurorBond, 0, 1);
        p = _params(); p.headBond = 0; _expectParam(p, ILedgerV2.Param.HeadBond, 0, 1);
        p = _params(); p.expiryPenalty = 2 ether; _expectParam(p, ILedgerV2.Param.ExpiryPenalty, 2 ether, 1 ether);
        p = _params(); p.missPenalty = 1 ether; _expectParam(p, ILedgerV2.Param.MissPenalty, 1 ether, 0.5 ether);
        p = _params(); p.rewardPerClaim = type(uint96).max; p.approvalFee = 1;
        _expectParam(p, ILedgerV2.Param.Reservation, uint256(type(uint96).max) + 3, type(uint96).max);
        uint256 id = _createJob(_params(), 3 ether);
        assertEq(id, 1, "ids start at 1");
        assertEq(ledger.getJobParams(id).committeeSize, 3, "params stored");
        assertEq(ledger.getJob(id).escrow, 3 ether, "escrow");
        assertEq(ledger.getJob(id).head, GENESIS, "genesis head");
        assertEq(ledger.totalEscrow(), 3 ether, "total escrow");
    }

    function test_fund_and_withdrawEscrow() public {
        uint256 id = _createJob(_params(), 3 ether);
        vm.expectRevert(ILedgerV2.ZeroAmount.selector);
        ledger.fund(id);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.JobNotFound.selector, 9));
        ledger.fund{value: 1}(9);
        vm.prank(stranger);
        ledger.fund{value: 1 ether}(id);
        assertEq(ledger.getJob(id).escrow, 4 ether, "funded");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NotJobOwner.selector, id, stranger));
        ledger.withdrawEscrow(id, 1);
        vm.startPrank(owner);
        vm.expectRevert(ILedgerV2.ZeroAmount.selector);
        ledger.withdrawEscrow(id, 0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InsufficientEscrow.selector, id, 5 ether, 4 ether));
        ledger.withdrawEscrow(id, 5 ether);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.JobNotFound.selector, 9));
        ledger.withdrawEscrow(9, 1);
        uint256 before = owner.balance;
        ledger.withdrawEscrow(id, 1 ether);
        assertEq(owner.balance - before, 1 ether, "paid");
        vm.stopPrank();
        vm.prank(worker);
        ledger.stake{value: 2 ether}(WORKER);
        vm.prank(worker);
        ledger.submitClaim(id, 0, GENESIS, RESULT, ROOT, 100, URI);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.ClaimsOpen.selector, id, 1));
        ledger.withdrawEscrow(id, 1);
        _assertSolvent();
    }

    function test_stake_reverts_and_unbonding() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidRole.selector, 0));
        ledger.stake{value: 1}(0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidRole.selector, 3));
        ledger.requestUnstake(3, 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InvalidRole.selector, 3));
        ledger.withdrawStake(3);
        vm.expectRevert(ILedgerV2.ZeroAmount.selector);
        ledger.stake(WORKER);
        vm.deal(address(this), type(uint96).max);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.StakeCapExceeded.selector, uint256(type(uint80).max) + 1, type(uint80).max));
        ledger.stake{value: uint256(type(uint80).max) + 1}(WORKER);
        vm.startPrank(worker);
        ledger.stake{value: 2 ether}(WORKER);
        vm.expectRevert(ILedgerV2.ZeroAmount.selector);
        ledger.requestUnstake(WORKER, 0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.InsufficientUnlockedStake.selector, worker, ILedgerV2.Role.Worker, 3 ether, 2 ether));
        ledger.requestUnstake(WORKER, 3 ether);
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.NothingUnbonding.selector, worker, ILedgerV2.Role.Worker));
        ledger.withdrawStake(WORKER);
        ledger.requestUnstake(WORKER, 1 ether);
        ILedgerV2.StakeInfo memory s = ledger.stakeOf(worker, WORKER);
        assertEq(s.active, 1 ether, "active");
        assertEq(s.unbonding, 1 ether, "unbonding");
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.StakeStillBonded.selector, block.number + UNBONDING, block.number));
        ledger.withdrawStake(WORKER);
        vm.roll(block.number + UNBONDING);
        uint256 before = worker.balance;
        ledger.withdrawStake(WORKER);
        assertEq(worker.balance - before, 1 ether, "withdrawn");
        vm.stopPrank();
        assertEq(ledger.totalStakes(), 1 ether, "total stakes");
        _assertSolvent();
    }

    function test_seats_register_retire_and_reappend() public {
        vm.startPrank(vs[0]);
        ledger.stake{value: 0.5 ether}(VERIFIER);
        assertEq(ledger.seatCount(), 0, "below seatStake: no seat");
        ledger.stake{value: 0.5 ether}(VERIFIER);
        assertEq(ledger.seatCount(), 1, "seat at seatStake");
        ILedgerV2.Seat memory st = ledger.seatAt(0);
        assertEq(st.account, vs[0], "seat account");
        assertEq(st.registeredAt, block.number, "registered now");
        ledger.stake{value: 1 ether}(VERIFIER);
        assertEq(ledger.seatCount(), 1, "one seat per account");
        vm.roll(block.number + 5);
        ledger.requestUnstake(VERIFIER, 0.1 ether);
        assertEq(ledger.seatAt(0).retiredAt, block.number, "unstake retires the seat");
        vm.roll(block.number + 1);
        ledger.stake{value: 0.1 ether}(VERIFIER);
        assertEq(ledger.seatCount(), 2, "re-staking appends a new seat");
        assertEq(ledger.stakeOf(vs[0], VERIFIER).seatPlusOne, 2, "latest seat");
        vm.stopPrank();
        vm.prank(worker);
        ledger.stake{value: 5 ether}(WORKER);
        assertEq(ledger.seatCount(), 2, "workers hold no seat");
    }

    /// A member with exactly seatStake that misses its claim is slashed below seatStake: its seat retires.
    function test_slash_below_seat_stake_retires_seat() public {
        jobId = _createJob(_params(), 10 ether);
        vm.prank(worker);
        ledger.stake{value: 5 ether}(WORKER);
        for (uint256 i; i < 3; ++i) {
            vm.prank(vs[i]);
            ledger.stake{value: 1 ether}(VERIFIER);
        }
        vm.roll(block.number + 1);
        uint256 id = _submit(worker);
        _rollToVoting(id);
        address[] memory m = _members(id);
        assertEq(m.length, 3, "all three drawn");
        _approve(m[0], id);
        _approve(m[1], id);
        _rollPastChallenge(id);
        ledger.finalizeClaim(id);
        assertEq(_active(m[2], VERIFIER), 0.95 ether, "miss penalty");
        uint256 seat = ledger.stakeOf(m[2], VERIFIER).seatPlusOne - 1;
        assertEq(ledger.seatAt(seat).retiredAt, block.number, "retired below seatStake");
        _assertSolvent();
    }

    function test_withdraw_reverts_when_transfer_fails() public {
        _setUpAll();
        Rejector r = new Rejector();
        vm.deal(address(r), 10 ether);
        vm.prank(address(r));
        ledger.stake{value: 1 ether}(WORKER);
        vm.prank(address(r));
        ledger.requestUnstake(WORKER, 1 ether);
        vm.roll(block.number + UNBONDING);
        vm.prank(address(r));
        vm.expectRevert(abi.encodeWithSelector(ILedgerV2.TransferFailed.selector, address(r), 1 ether));
        ledger.withdrawStake(WORKER);
    }
}

contract Rejector {
    receive() external payable {
        revert("no");
    }
}
