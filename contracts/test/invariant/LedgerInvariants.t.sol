// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GradchainLedger} from "../../src/GradchainLedger.sol";
import {IGradchainLedger} from "../../src/IGradchainLedger.sol";
import {TestBase} from "../utils/Vm.sol";
import {LedgerHandler} from "./LedgerHandler.sol";

/// @notice The invariants of PROTOCOL.md section 4, checked after every random call of LedgerHandler.
contract LedgerInvariantsTest is TestBase {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    GradchainLedger internal ledger;
    LedgerHandler internal handler;

    function setUp() public {
        vm.roll(100);
        ledger = new GradchainLedger(5);
        handler = new LedgerHandler(ledger);
        // Every run starts with two funded jobs and every worker and verifier staked, so that random sequences
        // of 50 calls reach claims, votes, settlements and head advances.
        handler.createJob(uint256(keccak256("job-a")), 30 ether);
        handler.createJob(uint256(keccak256("job-b")), 30 ether);
        for (uint256 i; i < 4; ++i) {
            handler.stake(i, false, 3 ether);
            handler.stake(i, true, 3 ether);
        }
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory s = new bytes4[](25);
        s[0] = LedgerHandler.createJob.selector;
        s[1] = LedgerHandler.fund.selector;
        s[2] = LedgerHandler.withdrawEscrow.selector;
        s[3] = LedgerHandler.stake.selector;
        s[4] = LedgerHandler.requestUnstake.selector;
        s[5] = LedgerHandler.withdrawStake.selector;
        s[6] = LedgerHandler.submitClaim.selector;
        s[7] = LedgerHandler.attest.selector;
        s[8] = LedgerHandler.attestBatch.selector;
        s[9] = LedgerHandler.roll.selector;
        s[10] = LedgerHandler.finalizeClaim.selector;
        s[11] = LedgerHandler.proposeHead.selector;
        s[12] = LedgerHandler.attestHead.selector;
        s[13] = LedgerHandler.finalizeHead.selector;
        s[14] = LedgerHandler.withdraw.selector;
        // The life of a claim weighs more than the rest: rolls (windows must pass), claims, votes, settlement.
        s[15] = LedgerHandler.roll.selector;
        s[16] = LedgerHandler.roll.selector;
        s[17] = LedgerHandler.submitClaim.selector;
        s[18] = LedgerHandler.attest.selector;
        s[19] = LedgerHandler.attestBatch.selector;
        s[20] = LedgerHandler.finalizeClaim.selector;
        s[21] = LedgerHandler.finalizeHead.selector;
        s[22] = LedgerHandler.finalizeAll.selector;
        s[23] = LedgerHandler.proposeHead.selector;
        s[24] = LedgerHandler.attestHead.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), s);
    }

    /// @dev 1. ETH held == escrow (incl. reservations) + credits + stakes.
    function invariant_balanceIsExactlyAccounted() public view {
        assertEq(
            address(ledger).balance,
            ledger.totalEscrow() + ledger.totalCredits() + ledger.totalStakes(),
            "balance == escrow + credits + stakes"
        );
    }

    /// @dev The totals equal the sums of their parts.
    function invariant_totalsMatchParts() public view {
        uint256 escrow;
        uint256 open;
        for (uint256 i; i < handler.jobCount(); ++i) {
            IGradchainLedger.JobView memory j = ledger.getJob(handler.jobIds(i));
            escrow += j.escrow + j.reserved;
            open += j.openClaims;
        }
        assertEq(escrow, ledger.totalEscrow(), "sum of job escrow + reserved == totalEscrow");
        uint256 credits;
        uint256 stakes;
        uint256 workerLocks;
        for (uint256 i; i < handler.actorCount(); ++i) {
            address a = handler.actors(i);
            credits += ledger.creditOf(a);
            for (uint8 role = 1; role <= 2; ++role) {
                (uint256 active, uint256 unbonding,, uint32 locks) = ledger.stakeOf(a, role);
                stakes += active + unbonding;
                if (role == 1) workerLocks += locks;
            }
        }
        assertEq(credits, ledger.totalCredits(), "sum of credits == totalCredits");
        assertEq(stakes, ledger.totalStakes(), "sum of stakes == totalStakes");
        assertEq(workerLocks, open, "worker locks == open claims");
    }

    /// @dev 2. A claim is finalized at most once, and a credit is paid at most once.
    function invariant_noDoubleFinalizeOrPayout() public view {
        assertTrue(handler.maxFinalizeCount() <= 1, "a claim finalized twice");
        assertEq(
            handler.ghostWithdrawn(),
            handler.ghostCredited() - ledger.totalCredits(),
            "withdrawn == credited - outstanding"
        );
    }

    /// @dev 3. Heads form one chain per job: each HeadAdvanced parent is the previous head.
    function invariant_headsFormOneChain() public view {
        assertTrue(!handler.headChainBroken(), "HeadAdvanced parent != previous head");
        for (uint256 i; i < handler.jobCount(); ++i) {
            uint256 jobId = handler.jobIds(i);
            IGradchainLedger.JobView memory j = ledger.getJob(jobId);
            assertEq(j.head, handler.ghostHead(jobId), "head == last HeadAdvanced head");
            assertEq(j.round, handler.ghostRound(jobId), "round == number of advances");
        }
    }
}
