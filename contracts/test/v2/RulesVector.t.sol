// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerV2Rules} from "../../src/v2/LedgerV2Rules.sol";
import {TestBase} from "../utils/Vm.sol";

interface VmBool {
    function parseJsonBool(string calldata json, string calldata key) external pure returns (bool);
}

/// @notice contracts/test/vectors/rules_v2.json (written with node/chain/v2/rules.py) replayed against
///         LedgerV2Rules: dispute outcomes as LedgerV2Disputes computes them, splits, accumulator, commitment,
///         reservation.
contract RulesVectorTest is TestBase {
    VmBool internal constant vmBool = VmBool(address(uint160(uint256(keccak256("hevm cheat code")))));
    string internal json;

    function setUp() public {
        json = vm.readFile("contracts/test/vectors/rules_v2.json");
    }

    function _key(string memory list, uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".", list, "[", vm.toString(i), "].", field);
    }

    function test_outcomes() public view {
        uint256 n = vm.parseJsonUint(json, ".outcomeCount");
        for (uint256 i; i < n; ++i) {
            uint256[] memory revealed = vm.parseJsonUintArray(json, _key("outcomes", i, "revealed"));
            uint256 segments = vm.parseJsonUint(json, _key("outcomes", i, "segments"));
            uint256 jury = vm.parseJsonUint(json, _key("outcomes", i, "jurySize"));
            bool quorum = revealed.length >= LedgerV2Rules.revealQuorum(jury);
            assertTrue(quorum == vmBool.parseJsonBool(json, _key("outcomes", i, "quorum")), "quorum");
            uint256 mask;
            if (quorum) {
                for (uint256 s; s < segments; ++s) {
                    uint256 votes;
                    for (uint256 k; k < revealed.length; ++k) {
                        votes += (revealed[k] >> s) & 1;
                    }
                    if (LedgerV2Rules.provenFaulty(votes, revealed.length)) mask |= 1 << s;
                }
            }
            assertEq(mask, vm.parseJsonUint(json, _key("outcomes", i, "faultyMask")), "faulty mask");
            uint256[] memory majority = vm.parseJsonUintArray(json, _key("outcomes", i, "majority"));
            uint256 m;
            for (uint256 k; quorum && k < revealed.length; ++k) {
                if (revealed[k] == mask) assertEq(majority[m++], k, "majority juror");
            }
            assertEq(m, majority.length, "majority size");
        }
    }

    function test_splits() public view {
        uint256 n = vm.parseJsonUint(json, ".splitCount");
        for (uint256 i; i < n; ++i) {
            (uint256 share, uint256 dust) = LedgerV2Rules.split(
                vm.parseJsonUint(json, _key("splits", i, "pot")), vm.parseJsonUint(json, _key("splits", i, "winners"))
            );
            assertEq(share, vm.parseJsonUint(json, _key("splits", i, "share")), "share");
            assertEq(dust, vm.parseJsonUint(json, _key("splits", i, "dust")), "dust");
        }
    }

    function test_accumulate_commitment_reservation() public view {
        assertEq(
            LedgerV2Rules.accumulate(
                vm.parseJsonBytes32(json, ".accumulate[0].acc"),
                vm.parseJsonUint(json, ".accumulate[0].claimId"),
                vm.parseJsonBytes32(json, ".accumulate[0].result")
            ),
            vm.parseJsonBytes32(json, ".accumulate[0].next"),
            "accumulate"
        );
        assertEq(
            LedgerV2Rules.commitment(
                vm.parseJsonUint(json, ".commitments[0].verdicts"),
                vm.parseJsonBytes32(json, ".commitments[0].salt"),
                vm.parseJsonAddress(json, ".commitments[0].juror")
            ),
            vm.parseJsonBytes32(json, ".commitments[0].commitment"),
            "commitment"
        );
        assertEq(
            LedgerV2Rules.reservation(
                vm.parseJsonUint(json, ".reservations[0].reward"),
                vm.parseJsonUint(json, ".reservations[0].fee"),
                vm.parseJsonUint(json, ".reservations[0].size")
            ),
            vm.parseJsonUint(json, ".reservations[0].reservation"),
            "reservation"
        );
    }
}
