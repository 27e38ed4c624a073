// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../src/v2/ILedgerV2.sol";
import {LedgerV2Rules} from "../../src/v2/LedgerV2Rules.sol";
import {V2Fixture} from "./utils/V2Fixture.sol";

/// @notice The largest committee and jury (D = 16, J = 15) over 40 seats: every draw loop is bounded and each call
///         stays far below a 30M block.
contract LedgerV2BoundsTest is V2Fixture {
    uint256 internal constant SEATS = 40;
    uint256[SEATS] internal keys;
    address[SEATS] internal seatsOf;

    function setUp() public {
        _deploy();
        ILedgerV2.JobParams memory p = _params();
        p.committeeSize = 16;
        p.quorum = 16;
        p.jurySize = 15;
        p.samplesPerMember = 16;
        jobId = _createJob(p, 100 ether);
        vm.prank(worker);
        ledger.stake{value: 5 ether}(WORKER);
        for (uint256 i; i < SEATS; ++i) {
            keys[i] = 0xD000 + i;
            seatsOf[i] = vm.addr(keys[i]);
            keyOf[seatsOf[i]] = keys[i];
            vm.deal(seatsOf[i], 10 ether);
            vm.prank(seatsOf[i]);
            ledger.stake{value: 3 ether}(VERIFIER);
        }
        vm.roll(block.number + 1);
    }

    function test_largest_committee_and_jury_are_bounded() public {
        uint256 id = _submit(worker);
        _rollToVoting(id);
        address[] memory m = _members(id);
        assertTrue(m.length <= 16 && m.length >= 10, "a large committee within the draw bound");
        uint256[] memory ids = new uint256[](m.length);
        bytes[] memory sigs = new bytes[](m.length);
        for (uint256 i; i < m.length; ++i) {
            ids[i] = id;
            sigs[i] = _sig(m[i], id);
        }
        uint256 g = gasleft();
        ledger.approveBatch(ids, sigs);
        assertTrue(g - gasleft() < 3_000_000, "approveBatch of 16 under 3M");
        // an outsider challenges all 10 segments; the jury of 15 reveals
        address out;
        for (uint256 i; i < SEATS && out == address(0); ++i) {
            (bool member,) = ledger.isCommitteeMember(id, seatsOf[i]);
            if (!member) out = seatsOf[i];
        }
        uint256[] memory segs = new uint256[](10);
        for (uint256 i; i < 10; ++i) {
            segs[i] = i;
        }
        vm.prank(out);
        uint256 d = ledger.challenge(id, segs, new address[](10), new uint256[](10));
        _rollToCommit(d);
        address[] memory js = _jurors(d);
        assertTrue(js.length >= 8, "a large jury");
        for (uint256 i; i < js.length; ++i) {
            vm.prank(js[i]);
            ledger.commitVerdict(d, LedgerV2Rules.commitment(1, bytes32(i), js[i]));
        }
        _rollToReveal(d);
        for (uint256 i; i < js.length; ++i) {
            vm.prank(js[i]);
            ledger.revealVerdict(d, 1, bytes32(i));
        }
        _rollPastReveal(d);
        g = gasleft();
        ledger.resolveDispute(d);
        assertTrue(g - gasleft() < 5_000_000, "resolve under 5M");
        assertTrue(ledger.getClaim(id).status == ILedgerV2.ClaimStatus.Rejected, "rejected");
        _assertSolvent();
    }
}
