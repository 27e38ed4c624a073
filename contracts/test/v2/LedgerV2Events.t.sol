// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../src/v2/ILedgerV2.sol";
import {LedgerV2Disputes} from "../../src/v2/LedgerV2Disputes.sol";
import {LedgerV2Jobs} from "../../src/v2/LedgerV2Jobs.sol";
import {LedgerV2Views} from "../../src/v2/LedgerV2Views.sol";
import {Actor} from "../utils/Actor.sol";
import {V2Fixture} from "./utils/V2Fixture.sol";

/// @notice Events an auditor rebuilds from, draws frozen before their seeds, reentrancy, module sizes.
contract LedgerV2EventsTest is V2Fixture {
    function setUp() public {
        _setUpAll();
    }

    function test_events_of_a_claim() public {
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        bytes32 result = keccak256(abi.encode(RESULT, worker, j.round));
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ILedgerV2.ClaimSubmitted(1, jobId, 0, worker, GENESIS, result, ROOT, uint32(STEPS), URI, uint64(block.number), 11);
        uint256 id = _submit(worker);
        _rollToVoting(id);
        uint256[] memory seats = ledger.committeeOf(id);
        address m0 = ledger.seatAt(seats[0]).account;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ILedgerV2.Approved(id, m0, seats[0], 0);
        _approve(m0, id);
        address m1 = ledger.seatAt(seats[1]).account;
        _approve(m1, id);
        _rollPastChallenge(id);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ILedgerV2.Credited(worker, id, 1 ether, ILedgerV2.CreditReason.Reward);
        ledger.finalizeClaim(id);
    }

    function test_events_of_stakes_and_seats() public {
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ILedgerV2.Staked(stranger, ILedgerV2.Role.Verifier, 1 ether, 1 ether);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ILedgerV2.SeatRegistered(11, stranger, uint64(block.number));
        vm.prank(stranger);
        ledger.stake{value: 1 ether}(VERIFIER);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ILedgerV2.UnstakeRequested(stranger, ILedgerV2.Role.Verifier, 0.5 ether, 0.5 ether, 0.5 ether, uint64(block.number + UNBONDING));
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ILedgerV2.SeatRetired(11, stranger, uint64(block.number));
        vm.prank(stranger);
        ledger.requestUnstake(VERIFIER, 0.5 ether);
    }

    function test_events_of_a_dispute() public {
        uint256 id = _submit(worker);
        _rollToVoting(id);
        address m0 = _members(id)[0];
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ILedgerV2.DisputeOpened(1, ILedgerV2.DisputeKind.Claim, id, jobId, uint64(block.number), 11);
        uint256 d = _challenge(m0, id, 2, address(0), 0);
        _jury(d, 1, 0, 0, 3);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ILedgerV2.DisputeResolved(d, ILedgerV2.DisputeStatus.Resolved, 1, 3);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ILedgerV2.Slashed(worker, ILedgerV2.Role.Worker, id, 1 ether, ILedgerV2.SlashReason.ClaimBond);
        ledger.resolveDispute(d);
    }

    /// Committees and juries do not move when seats come and go after the block they were frozen at.
    function test_draws_frozen_before_seed() public {
        uint256 id = _submit(worker);
        _rollToVoting(id);
        bytes32 before = keccak256(abi.encode(ledger.committeeOf(id)));
        address m0 = _members(id)[0];
        vm.prank(vs[9]);
        ledger.requestUnstake(VERIFIER, 1 ether); // a seat retires after the submit block
        for (uint256 i; i < 5; ++i) {
            address s = address(uint160(0x7700 + i));
            vm.deal(s, 2 ether);
            vm.prank(s);
            ledger.stake{value: 1 ether}(VERIFIER);
        }
        assertEq(keccak256(abi.encode(ledger.committeeOf(id))), before, "committee unchanged");
        uint256 d = _challenge(m0, id, 1, address(0), 0);
        _rollToCommit(d);
        bytes32 jury = keccak256(abi.encode(ledger.juryOf(d)));
        vm.prank(address(0x7700));
        ledger.requestUnstake(VERIFIER, 1 ether);
        vm.deal(address(0x7800), 2 ether);
        vm.prank(address(0x7800));
        ledger.stake{value: 1 ether}(VERIFIER);
        assertEq(keccak256(abi.encode(ledger.juryOf(d))), jury, "jury unchanged");
        assertEq(ledger.getDispute(d).seatCount, 16, "seat count frozen at open");
    }

    function test_withdraw_is_not_reentrant() public {
        Actor a = new Actor();
        vm.deal(address(a), 10 ether);
        vm.prank(address(a));
        ledger.stake{value: 3 ether}(WORKER);
        vm.roll(block.number + 1);
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        vm.prank(address(a));
        uint256 id = ledger.submitClaim(jobId, j.round, j.head, RESULT, ROOT, uint32(STEPS), URI);
        _rollToVoting(id);
        address[] memory m = _members(id);
        _approve(m[0], id);
        _approve(m[1], id);
        _rollPastChallenge(id);
        ledger.finalizeClaim(id);
        a.setReenter(address(ledger), abi.encodeWithSignature("withdraw()"));
        vm.prank(address(a));
        ledger.withdraw();
        assertTrue(a.reentered() && !a.reenterOk(), "re-entry refused");
        assertEq(address(a).balance, 7 ether + 1 ether, "paid once");
        _assertSolvent();
    }

    function test_module_sizes_fit_eip170() public {
        assertTrue(address(ledger).code.length <= 24_576, "LedgerV2");
        assertTrue(address(new LedgerV2Jobs()).code.length <= 24_576, "LedgerV2Jobs");
        assertTrue(address(new LedgerV2Disputes()).code.length <= 24_576, "LedgerV2Disputes");
        assertTrue(address(new LedgerV2Views()).code.length <= 24_576, "LedgerV2Views");
    }
}
