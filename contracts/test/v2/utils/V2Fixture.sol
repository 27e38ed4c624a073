// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../../src/v2/ILedgerV2.sol";
import {LedgerV2} from "../../../src/v2/LedgerV2.sol";
import {LedgerV2Disputes} from "../../../src/v2/LedgerV2Disputes.sol";
import {LedgerV2Jobs} from "../../../src/v2/LedgerV2Jobs.sol";
import {LedgerV2Views} from "../../../src/v2/LedgerV2Views.sol";
import {LedgerV2Rules} from "../../../src/v2/LedgerV2Rules.sol";
import {LedgerDraws} from "../../../src/LedgerDraws.sol";
import {TestBase} from "../../utils/Vm.sol";

/// @notice A deployed LedgerV2 (modules first), a worker pair and ten verifier seats with known keys, and helpers
///         that walk claims, disputes and heads through their lives.
abstract contract V2Fixture is TestBase {
    LedgerV2 internal ledger;

    uint64 internal constant UNBONDING = 50;
    uint96 internal constant SEAT_STAKE = 1 ether;
    uint8 internal constant WORKER = 1;
    uint8 internal constant VERIFIER = 2;
    uint256 internal constant NV = 10;
    uint256 internal constant STEPS = 100; // S = 10 with k = 10

    uint256 internal constant OWNER_KEY = 0x0A11CE;
    uint256 internal constant WORKER_KEY = 0xA11CE;
    uint256 internal constant WORKER2_KEY = 0xA11CE2;
    uint256 internal constant AGG_KEY = 0xA66;

    address internal owner;
    address internal worker;
    address internal worker2;
    address internal aggregator;
    address internal stranger = address(0x5757);
    address[NV] internal vs;
    mapping(address => uint256) internal keyOf;

    bytes32 internal constant SPEC = keccak256("spec");
    bytes32 internal constant GENESIS = keccak256("genesis");
    bytes32 internal constant RESULT = keccak256("result");
    bytes32 internal constant ROOT = keccak256("transcript");
    string internal constant URI = "http://127.0.0.1:8001/artifacts/";

    uint256 internal jobId;

    function _deployLedger() internal returns (LedgerV2 l) {
        l = new LedgerV2(
            UNBONDING, SEAT_STAKE, address(new LedgerV2Jobs()), address(new LedgerV2Disputes()), address(new LedgerV2Views())
        );
    }

    function _deploy() internal {
        vm.roll(1_000);
        ledger = _deployLedger();
        owner = vm.addr(OWNER_KEY);
        worker = vm.addr(WORKER_KEY);
        worker2 = vm.addr(WORKER2_KEY);
        aggregator = vm.addr(AGG_KEY);
        keyOf[aggregator] = AGG_KEY;
        vm.deal(owner, 1_000 ether);
        vm.deal(worker, 1_000 ether);
        vm.deal(worker2, 1_000 ether);
        vm.deal(aggregator, 1_000 ether);
        vm.deal(stranger, 1_000 ether);
        for (uint256 i; i < NV; ++i) {
            uint256 k = 0xB000 + i;
            vs[i] = vm.addr(k);
            keyOf[vs[i]] = k;
            vm.deal(vs[i], 1_000 ether);
        }
    }

    function _params() internal pure returns (ILedgerV2.JobParams memory p) {
        p.specHash = SPEC;
        p.genesisHead = GENESIS;
        p.rewardPerClaim = 1 ether;
        p.approvalFee = 0.1 ether;
        p.committeeSize = 3;
        p.quorum = 2;
        p.jurySize = 3;
        p.samplesPerMember = 2;
        p.checkpointEvery = 10;
        p.claimBond = 1 ether;
        p.approvalBond = 0.5 ether;
        p.submitWindow = 10;
        p.verifyWindow = 10;
        p.challengeWindow = 10;
        p.challengeBond = 0.5 ether;
        p.jurorBond = 0.2 ether;
        p.commitWindow = 5;
        p.revealWindow = 5;
        p.headWindow = 10;
        p.maxClaimsPerRound = 8;
        p.headBond = 1 ether;
        p.expiryPenalty = 0.1 ether;
        p.maxRedraws = 1;
        p.missPenalty = 0.05 ether;
    }

    function _createJob(ILedgerV2.JobParams memory p, uint256 escrow) internal returns (uint256 id) {
        vm.prank(owner);
        id = ledger.createJob{value: escrow}(p);
    }

    /// @dev Deploy, create the default job, stake the workers (5 ETH), the aggregator and every verifier (3 ETH:
    ///      one seat each), then move one block on so the seats are eligible.
    function _setUpAll() internal {
        _deploy();
        jobId = _createJob(_params(), 100 ether);
        vm.prank(worker);
        ledger.stake{value: 5 ether}(WORKER);
        vm.prank(worker2);
        ledger.stake{value: 5 ether}(WORKER);
        vm.prank(aggregator);
        ledger.stake{value: 5 ether}(VERIFIER);
        for (uint256 i; i < NV; ++i) {
            vm.prank(vs[i]);
            ledger.stake{value: 3 ether}(VERIFIER);
        }
        vm.roll(block.number + 1);
    }

    function _submit(address w) internal returns (uint256 claimId) {
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        vm.prank(w);
        claimId = ledger.submitClaim(jobId, j.round, j.head, keccak256(abi.encode(RESULT, w, j.round)), ROOT, uint32(STEPS), URI);
    }

    function _rollToVoting(uint256 claimId) internal {
        ILedgerV2.ClaimInfo memory c = ledger.getClaim(claimId);
        if (block.number <= c.seedBlock) vm.roll(c.seedBlock + 1);
    }

    function _rollPastChallenge(uint256 claimId) internal {
        ILedgerV2.ClaimInfo memory c = ledger.getClaim(claimId);
        vm.roll(c.challengeDeadline + 1);
    }

    function _members(uint256 claimId) internal view returns (address[] memory m) {
        uint256[] memory seats = ledger.committeeOf(claimId);
        m = new address[](seats.length);
        for (uint256 i; i < seats.length; ++i) {
            m[i] = ledger.seatAt(seats[i]).account;
        }
    }

    function _jurors(uint256 disputeId) internal view returns (address[] memory m) {
        uint256[] memory seats = ledger.juryOf(disputeId);
        m = new address[](seats.length);
        for (uint256 i; i < seats.length; ++i) {
            m[i] = ledger.seatAt(seats[i]).account;
        }
    }

    /// @dev A verifier with a live seat outside the claim's committee and not in `also`.
    function _outsider(uint256 claimId, address also) internal view returns (address) {
        address[] memory m = _members(claimId);
        for (uint256 i; i < NV; ++i) {
            bool inside = vs[i] == also;
            for (uint256 k; k < m.length; ++k) {
                if (m[k] == vs[i]) inside = true;
            }
            if (!inside) return vs[i];
        }
        revert("no outsider");
    }

    function _sig(address member, uint256 claimId) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keyOf[member], ledger.approvalDigest(claimId));
        return abi.encodePacked(r, s, v);
    }

    function _approve(address member, uint256 claimId) internal {
        vm.prank(member);
        ledger.approve(claimId);
    }

    /// @dev A segment in `member`'s own sample of the claim (its draw 0).
    function _sampleOf(uint256 claimId, address member, uint256 i) internal view returns (uint256) {
        ILedgerV2.ClaimInfo memory c = ledger.getClaim(claimId);
        return LedgerDraws.sampleIndex(_seedOf(c.seedBlock), claimId, member, i, c.segments);
    }

    function _seedOf(uint256 b) internal view returns (bytes32) {
        return blockhash(b);
    }

    function _challenge(address who, uint256 claimId, uint256 segment, address heldAgainst, uint256 drawIndex)
        internal
        returns (uint256 disputeId)
    {
        uint256[] memory segs = new uint256[](1);
        segs[0] = segment;
        address[] memory aps = new address[](1);
        aps[0] = heldAgainst;
        uint256[] memory dis = new uint256[](1);
        dis[0] = drawIndex;
        vm.prank(who);
        disputeId = ledger.challenge(claimId, segs, aps, dis);
    }

    function _rollToCommit(uint256 disputeId) internal {
        ILedgerV2.DisputeInfo memory d = ledger.getDispute(disputeId);
        vm.roll(d.jurySeedBlock + 1);
    }

    function _rollToReveal(uint256 disputeId) internal {
        ILedgerV2.DisputeInfo memory d = ledger.getDispute(disputeId);
        vm.roll(d.commitDeadline + 1);
    }

    function _rollPastReveal(uint256 disputeId) internal {
        ILedgerV2.DisputeInfo memory d = ledger.getDispute(disputeId);
        vm.roll(d.revealDeadline + 1);
    }

    /// @dev Every drawn juror commits and reveals `verdicts` (or `minority` for the first `nMinority`).
    function _jury(uint256 disputeId, uint256 verdicts, uint256 nMinority, uint256 minority, uint256 nReveal) internal {
        _rollToCommit(disputeId);
        address[] memory js = _jurors(disputeId);
        for (uint256 i; i < js.length; ++i) {
            uint256 v = i < nMinority ? minority : verdicts;
            vm.prank(js[i]);
            ledger.commitVerdict(disputeId, LedgerV2Rules.commitment(v, bytes32(i), js[i]));
        }
        _rollToReveal(disputeId);
        for (uint256 i; i < js.length && i < nReveal; ++i) {
            uint256 v = i < nMinority ? minority : verdicts;
            vm.prank(js[i]);
            ledger.revealVerdict(disputeId, v, bytes32(i));
        }
        _rollPastReveal(disputeId);
    }

    function _active(address a, uint8 role) internal view returns (uint256) {
        return ledger.stakeOf(a, role).active;
    }

    function _locked(address a, uint8 role) internal view returns (uint256) {
        return ledger.stakeOf(a, role).locked;
    }

    function _assertSolvent() internal view {
        assertEq(
            address(ledger).balance,
            ledger.totalEscrow() + ledger.totalCredits() + ledger.totalStakes(),
            "ETH held == escrow + credits + stakes"
        );
    }
}
