// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../../src/v2/ILedgerV2.sol";
import {LedgerV2} from "../../../src/v2/LedgerV2.sol";
import {LedgerV2Disputes} from "../../../src/v2/LedgerV2Disputes.sol";
import {LedgerV2Jobs} from "../../../src/v2/LedgerV2Jobs.sol";
import {LedgerV2Views} from "../../../src/v2/LedgerV2Views.sol";
import {TestBase} from "../../utils/Vm.sol";
import {LedgerV2Handler} from "./LedgerV2Handler.sol";

/// @notice PROTOCOL.md 4.6, checked after every call of a random LedgerV2Handler sequence.
contract LedgerV2InvariantsTest is TestBase {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    LedgerV2 internal ledger;
    LedgerV2Handler internal handler;
    uint256 internal jobId;
    ILedgerV2.JobParams internal p;

    function setUp() public {
        vm.roll(100);
        ledger = new LedgerV2(5, 1 ether, address(new LedgerV2Jobs()), address(new LedgerV2Disputes()), address(new LedgerV2Views()));
        p.specHash = keccak256("spec");
        p.genesisHead = keccak256("genesis");
        p.rewardPerClaim = 1 ether;
        p.approvalFee = 0.1 ether;
        p.committeeSize = 3;
        p.quorum = 2;
        p.jurySize = 3;
        p.samplesPerMember = 2;
        p.checkpointEvery = 10; // S = 4 with 40 steps
        p.claimBond = 1 ether;
        p.approvalBond = 0.5 ether;
        p.submitWindow = 12;
        p.verifyWindow = 4;
        p.challengeWindow = 4;
        p.challengeBond = 0.5 ether;
        p.jurorBond = 0.2 ether;
        p.commitWindow = 3;
        p.revealWindow = 3;
        p.headWindow = 4;
        p.maxClaimsPerRound = 3;
        p.headBond = 1 ether;
        p.expiryPenalty = 0.1 ether;
        p.maxRedraws = 1;
        p.missPenalty = 0.05 ether;
        jobId = ledger.createJob{value: 40 ether}(p);
        handler = new LedgerV2Handler(ledger, jobId, p.genesisHead);
        for (uint256 i; i < 8; ++i) {
            handler.stake(i, true, 3 ether);
        }
        for (uint256 i; i < 3; ++i) {
            handler.stake(i, false, 3 ether);
        }
        vm.roll(101);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory s = new bytes4[](29);
        s[0] = LedgerV2Handler.stake.selector;
        s[1] = LedgerV2Handler.requestUnstake.selector;
        s[2] = LedgerV2Handler.withdrawStake.selector;
        s[3] = LedgerV2Handler.fund.selector;
        s[4] = LedgerV2Handler.roll.selector;
        s[5] = LedgerV2Handler.submit.selector;
        s[6] = LedgerV2Handler.approve.selector;
        s[7] = LedgerV2Handler.challenge.selector;
        s[8] = LedgerV2Handler.commit.selector;
        s[9] = LedgerV2Handler.reveal.selector;
        s[10] = LedgerV2Handler.resolve.selector;
        s[11] = LedgerV2Handler.finalize.selector;
        s[12] = LedgerV2Handler.finalizeAll.selector;
        s[13] = LedgerV2Handler.propose.selector;
        s[14] = LedgerV2Handler.challengeHead.selector;
        s[15] = LedgerV2Handler.finalizeHead.selector;
        s[16] = LedgerV2Handler.withdraw.selector;
        // the life of a claim weighs more: rolls, claims, approvals, juries, settlement
        s[17] = LedgerV2Handler.roll.selector;
        s[18] = LedgerV2Handler.submit.selector;
        s[19] = LedgerV2Handler.approve.selector;
        s[20] = LedgerV2Handler.approve.selector;
        s[21] = LedgerV2Handler.commit.selector;
        s[22] = LedgerV2Handler.reveal.selector;
        s[23] = LedgerV2Handler.diligentJury.selector;
        s[24] = LedgerV2Handler.diligentJury.selector;
        s[25] = LedgerV2Handler.challenge.selector;
        s[26] = LedgerV2Handler.propose.selector;
        s[27] = LedgerV2Handler.finalizeHead.selector;
        s[28] = LedgerV2Handler.finalizeAll.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), s);
    }

    /// 1. ETH held == escrow + credits + stakes, and each total is the sum of its parts.
    function invariant_solvency() public view {
        assertEq(address(ledger).balance, ledger.totalEscrow() + ledger.totalCredits() + ledger.totalStakes(), "ETH == totals");
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        assertEq(ledger.totalEscrow(), j.escrow + j.reserved, "escrow == job escrow + reserved");
        uint256 credits;
        uint256 stakes;
        for (uint256 i; i < handler.actorCount(); ++i) {
            address a = handler.actor(i);
            credits += ledger.creditOf(a);
            for (uint8 r = 1; r <= 2; ++r) {
                ILedgerV2.StakeInfo memory s = ledger.stakeOf(a, r);
                stakes += s.active + s.unbonding;
            }
        }
        assertEq(ledger.totalCredits(), credits, "credits == sum of accounts");
        assertEq(ledger.totalStakes(), stakes, "stakes == sum of records");
    }

    /// 2. Every claim, dispute and proposal is finalized at most once and never leaves its terminal status.
    function invariant_final_at_most_once() public view {
        assertEq(handler.terminalViolations(), 0, "no terminal status changed");
        for (uint256 i; i < handler.claimCount(); ++i) {
            assertTrue(handler.finalizeSuccesses(handler.claims(i)) <= 1, "finalizeClaim succeeded at most once");
        }
    }

    /// 3. Heads form one chain from genesis: the job's round and head are the ghost chain's length and tip.
    function invariant_heads_one_chain() public view {
        assertEq(handler.headViolations(), 0, "each accepted proposal extends the tip");
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        assertEq(j.round + 1, handler.headCount(), "round == chain length - 1");
        assertEq(j.head, handler.heads(handler.headCount() - 1), "head == chain tip");
    }

    /// 4. locked == sum of the bonds of open obligations <= active, per account and role.
    function invariant_locked_equals_open_bonds() public view {
        uint256 n = handler.actorCount();
        uint256[] memory wantW = new uint256[](n);
        uint256[] memory wantV = new uint256[](n);
        for (uint256 i; i < handler.claimCount(); ++i) {
            uint256 id = handler.claims(i);
            ILedgerV2.ClaimInfo memory c = ledger.getClaim(id);
            if (c.status != ILedgerV2.ClaimStatus.Pending) continue;
            wantW[_index(c.worker)] += p.claimBond;
            if (c.approvedMask != 0) {
                uint256[] memory seats = ledger.committeeOf(id);
                for (uint256 k; k < seats.length; ++k) {
                    if (c.approvedMask & (1 << k) != 0) wantV[_index(ledger.seatAt(seats[k]).account)] += p.approvalBond;
                }
            }
        }
        for (uint256 i; i < handler.disputeCount(); ++i) {
            uint256 d = handler.disputes(i);
            ILedgerV2.DisputeInfo memory info = ledger.getDispute(d);
            if (info.status != ILedgerV2.DisputeStatus.Open) continue;
            for (uint256 k; k < info.challengers.length; ++k) {
                wantV[_index(info.challengers[k])] += p.challengeBond;
            }
            address[] memory js = handler.committed(d, info.attempt);
            for (uint256 k; k < js.length; ++k) {
                wantV[_index(js[k])] += p.jurorBond;
            }
        }
        for (uint256 i; i < handler.proposalCount(); ++i) {
            ILedgerV2.ProposalInfo memory pr = ledger.getProposal(handler.proposals(i));
            if (pr.status == ILedgerV2.ProposalStatus.Pending) wantV[_index(pr.proposer)] += p.headBond;
        }
        for (uint256 i; i < n; ++i) {
            address a = handler.actor(i);
            ILedgerV2.StakeInfo memory w = ledger.stakeOf(a, 1);
            ILedgerV2.StakeInfo memory v = ledger.stakeOf(a, 2);
            assertEq(w.locked, wantW[i], "worker locked == open bonds");
            assertEq(v.locked, wantV[i], "verifier locked == open bonds");
            assertTrue(w.locked <= w.active && v.locked <= v.active, "locked <= active");
        }
    }

    /// 5. Committees and juries are fixed by data that existed before their seed: what was seen when they first
    ///    acted is what the ledger computes now, whatever seats came and went since.
    function invariant_draws_fixed() public view {
        for (uint256 i; i < handler.claimCount(); ++i) {
            uint256 id = handler.claims(i);
            bytes32 h = handler.committeeHash(id);
            if (h != 0) assertEq(keccak256(abi.encode(ledger.committeeOf(id))), h, "committee unchanged");
        }
        for (uint256 i; i < handler.disputeCount(); ++i) {
            uint256 d = handler.disputes(i);
            ILedgerV2.DisputeInfo memory info = ledger.getDispute(d);
            bytes32 h = handler.juryHash(d, info.attempt);
            if (h != 0) assertEq(keccak256(abi.encode(ledger.juryOf(d))), h, "jury unchanged");
        }
    }

    /// The handler's own paths work end to end (a random run is only as good as the calls that succeed): one
    /// fixed sequence through claims, approvals, a challenge with a verdict, finalization and a head.
    function test_handler_smoke() public {
        handler.submit(0, 1);
        handler.submit(1, 2);
        handler.roll(3);
        for (uint256 i; i < 12; ++i) {
            handler.approve(i % 2, i);
        }
        assertTrue(handler.approvals() >= 2, "approvals succeeded");
        for (uint256 i; i < 8 && handler.challenges() == 0; ++i) {
            handler.challenge(1, i, 1, false);
        }
        assertTrue(handler.challenges() == 1, "a challenge succeeded");
        handler.diligentJury(0, 1, 3);
        assertTrue(handler.reveals() >= 2 && handler.resolves() == 1, "a verdict");
        invariant_locked_equals_open_bonds();
        vm.roll(block.number + 20);
        handler.finalizeAll();
        assertTrue(handler.finalizes() >= 1, "finalized");
        handler.propose(0, false);
        vm.roll(block.number + 5);
        handler.finalizeHead(0);
        assertEq(handler.headsAdvanced(), 1, "head advanced");
        invariant_solvency();
        invariant_final_at_most_once();
        invariant_heads_one_chain();
        invariant_locked_equals_open_bonds();
        invariant_draws_fixed();
    }

    function _index(address a) internal view returns (uint256) {
        for (uint256 i; i < handler.actorCount(); ++i) {
            if (handler.actor(i) == a) return i;
        }
        revert("unknown actor");
    }
}
