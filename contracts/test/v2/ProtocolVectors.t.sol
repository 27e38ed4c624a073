// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerDraws} from "../../src/LedgerDraws.sol";
import {TestBase} from "../utils/Vm.sol";

/// @notice Replays contracts/test/vectors/protocol_v2.json (written by scripts/make_protocol_vectors.py from the
///         Python protocol code, and checked against it by tests/verifier/test_protocol_vectors.py): job keys,
///         sample draws and committee/jury draw streams must come out the same in Solidity.
contract ProtocolVectorsTest is TestBase {
    string internal json;

    function setUp() public {
        json = vm.readFile("contracts/test/vectors/protocol_v2.json");
    }

    function _key(string memory list, uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".", list, "[", vm.toString(i), "].", field);
    }

    function test_job_keys() public view {
        uint256 n = vm.parseJsonUint(json, ".job_key_count");
        assertTrue(n > 0, "no job key vectors");
        for (uint256 i = 0; i < n; i++) {
            bytes32 got = LedgerDraws.jobKey(
                vm.parseJsonUint(json, _key("job_keys", i, "chain_id")),
                vm.parseJsonAddress(json, _key("job_keys", i, "ledger")),
                vm.parseJsonUint(json, _key("job_keys", i, "job_id"))
            );
            assertEq(got, vm.parseJsonBytes32(json, _key("job_keys", i, "job_key")), "job key");
        }
    }

    function test_sample_draws() public view {
        uint256 n = vm.parseJsonUint(json, ".sample_count");
        assertTrue(n > 0, "no sample vectors");
        for (uint256 i = 0; i < n; i++) {
            uint256 got = LedgerDraws.sampleIndex(
                vm.parseJsonBytes32(json, _key("samples", i, "seed")),
                vm.parseJsonUint(json, _key("samples", i, "claim_id")),
                vm.parseJsonAddress(json, _key("samples", i, "member")),
                vm.parseJsonUint(json, _key("samples", i, "draw")),
                vm.parseJsonUint(json, _key("samples", i, "segments"))
            );
            assertEq(got, vm.parseJsonUint(json, _key("samples", i, "index")), "sample draw");
        }
    }

    function test_seat_draw_streams() public view {
        uint256 n = vm.parseJsonUint(json, ".stream_count");
        assertTrue(n > 0, "no stream vectors");
        for (uint256 i = 0; i < n; i++) {
            bytes memory domain = bytes(vm.parseJsonString(json, _key("streams", i, "domain")));
            assertTrue(
                keccak256(domain) == keccak256(LedgerDraws.COMMITTEE_DOMAIN)
                    || keccak256(domain) == keccak256(LedgerDraws.JURY_DOMAIN),
                "a known domain"
            );
            uint256 got = LedgerDraws.seatDraw(
                domain,
                vm.parseJsonBytes32(json, _key("streams", i, "seed")),
                vm.parseJsonUint(json, _key("streams", i, "subject_id")),
                vm.parseJsonUint(json, _key("streams", i, "draw")),
                vm.parseJsonUint(json, _key("streams", i, "seat_count"))
            );
            assertEq(got, vm.parseJsonUint(json, _key("streams", i, "index")), "seat draw");
        }
    }
}
