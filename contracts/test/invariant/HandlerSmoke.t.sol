// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
import {GradchainLedger} from "../../src/GradchainLedger.sol";
import {TestBase} from "../utils/Vm.sol";
import {LedgerHandler} from "./LedgerHandler.sol";
/// @notice The handler can walk one full round (claim, votes, settlement, head, payout), so the invariant runs
///         exercise real state rather than a stream of reverts.
contract HandlerSmokeTest is TestBase {
    function test_handlerWalksAFullRound() public {
        vm.roll(100);
        GradchainLedger ledger = new GradchainLedger(5);
        LedgerHandler h = new LedgerHandler(ledger);
        h.createJob(uint256(1 ether) << 24, 20 ether); // reward 1 ether
        assertEq(h.jobCount(), 1, "job");
        for (uint256 i; i < 3; ++i) h.stake(i, false, 3 ether);
        for (uint256 i; i < 4; ++i) h.stake(i, true, 3 ether);
        h.submitClaim(0, 0, 1);
        assertEq(h.okClaims(), 1, "claims");
        h.roll(3);
        h.attest(0, 0, true);
        assertEq(h.okVotes(), 1, "votes");
        h.attestBatch(0, 1, 3); // verifiers 1 and 2 (as far as maxVotes allows)
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
        h.withdraw(2); // actors: 2 owners, then workers: index 2 is worker 0, which was rewarded
        assertEq(h.okWithdrawals(), 1, "withdrawal");
        assertEq(h.ghostWithdrawn(), h.ghostCredited() - ledger.totalCredits(), "ghost payouts");
    }
}
