// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
import {GradchainLedger} from "../../src/GradchainLedger.sol";
import {TestBase} from "../utils/Vm.sol";
import {LedgerHandler} from "./LedgerHandler.sol";
contract HandlerSmokeTest is TestBase {
    function test_smoke() public {
        vm.roll(100);
        GradchainLedger ledger = new GradchainLedger(5);
        LedgerHandler h = new LedgerHandler(ledger);
        h.createJob(0, 20 ether);
        assertEq(h.jobCount(), 1, "job");
        for (uint256 i; i < 3; ++i) h.stake(i, false, 4 ether);
        for (uint256 i; i < 4; ++i) h.stake(i, true, 4 ether);
        h.submitClaim(0, 0, 1);
        assertEq(h.okClaims(), 1, "claims");
        h.roll(3);
        h.attest(0, 0, true);
        assertEq(h.okVotes(), 1, "votes");
        h.attestBatch(0, 2, 3);
        assertEq(h.okVotes(), 1, "batch of verifiers 2,3 exceeds maxVotes 1? ");
        h.roll(40);
        h.finalizeClaim(0);
        assertEq(h.okFinalized(), 1, "finalized");
        h.finalizeClaim(0);
        assertEq(h.maxFinalizeCount(), 1, "once");
        h.roll(40);
        h.proposeHead(0, 9);
        h.attestHead(0, 0, true);
        h.roll(40);
        h.finalizeHead(0);
        assertEq(h.okHeadsAdvanced(), 1, "head");
        h.withdraw(3);
        h.withdraw(5);
        assertTrue(h.okWithdrawals() >= 1, "withdrawals");
    }
}
