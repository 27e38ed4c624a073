// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../../src/v2/ILedgerV2.sol";
import {V2Fixture} from "../utils/V2Fixture.sol";

/// @notice One full round of N accepted claims with D = 3, eleven verifier seats, each claim submitted one block
///         after the previous (so no two claims share a seed block: the worst case for seed records), then a
///         head proposed and finalized. Two settlement paths:
///         - batched: all 3N approvals relayed by signature in one approveBatch, one finalizeClaims(ids);
///         - direct: every member sends its own approve, and each claim its own finalizeClaim.
///         bench/gas.sh runs one test at a time with --isolate --gas-report (each call its own transaction,
///         cold storage, 21,000 base and calldata included) and prints the all-in gas per accepted claim.
contract LedgerV2GasRound is V2Fixture {
    uint256 internal constant MAX_N = 16;
    address[MAX_N] internal workers;

    function setUp() public {
        _deploy();
        ILedgerV2.JobParams memory p = _params();
        // Room for 16 claims one block apart, all approved in one block after the last seed.
        p.maxClaimsPerRound = uint16(MAX_N);
        p.submitWindow = 40;
        p.verifyWindow = 30;
        jobId = _createJob(p, 100 ether);
        for (uint256 i; i < MAX_N; ++i) {
            workers[i] = vm.addr(0xC000 + i);
            vm.deal(workers[i], 10 ether);
            vm.prank(workers[i]);
            ledger.stake{value: 2 ether}(WORKER);
        }
        vm.prank(aggregator);
        ledger.stake{value: 5 ether}(VERIFIER);
        for (uint256 i; i < NV; ++i) {
            vm.prank(vs[i]);
            ledger.stake{value: 10 ether}(VERIFIER); // bonds for up to 16 approvals each
        }
        vm.roll(block.number + 1);
    }

    function test_gas_batched_4() public {
        _round(4, true);
    }

    /// @dev The round bench/gas.sh measured before there were scenarios (321,537 per claim then).
    function test_gas_batched_8() public {
        _round(8, true);
    }

    function test_gas_batched_16() public {
        _round(16, true);
    }

    function test_gas_direct_4() public {
        _round(4, false);
    }

    function test_gas_direct_16() public {
        _round(16, false);
    }

    function _round(uint256 n, bool batched) internal {
        uint256[] memory ids = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            vm.prank(workers[i]);
            ids[i] = ledger.submitClaim(jobId, 0, GENESIS, keccak256(abi.encode(i)), ROOT, uint32(STEPS), URI);
            vm.roll(block.number + 1);
        }
        vm.roll(block.number + 2);
        if (batched) _approveBatched(ids);
        else _approveDirect(ids);
        vm.roll(block.number + 41); // past every claim's seed + verifyWindow + challengeWindow
        if (batched) {
            vm.prank(aggregator);
            ledger.finalizeClaims(ids);
        } else {
            for (uint256 i; i < n; ++i) {
                vm.prank(aggregator);
                ledger.finalizeClaim(ids[i]);
            }
        }
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        assertEq(j.acceptedCount, n, "all accepted");
        vm.prank(aggregator);
        uint256 pid = ledger.proposeHead(jobId, 0, keccak256("mean"), j.accumulator);
        vm.roll(block.number + 11);
        vm.prank(aggregator);
        ledger.finalizeHead(pid);
        assertEq(ledger.getJob(jobId).round, 1, "round advanced");
    }

    function _approveBatched(uint256[] memory ids) internal {
        uint256 n = ids.length;
        uint256[] memory claimIds = new uint256[](3 * n);
        bytes[] memory sigs = new bytes[](3 * n);
        for (uint256 i; i < n; ++i) {
            address[] memory m = _members(ids[i]);
            for (uint256 k; k < 3; ++k) {
                claimIds[3 * i + k] = ids[i];
                sigs[3 * i + k] = _sig(m[k], ids[i]);
            }
        }
        vm.prank(aggregator);
        ledger.approveBatch(claimIds, sigs);
    }

    function _approveDirect(uint256[] memory ids) internal {
        for (uint256 i; i < ids.length; ++i) {
            address[] memory m = _members(ids[i]);
            for (uint256 k; k < 3; ++k) {
                vm.prank(m[k]);
                ledger.approve(ids[i]);
            }
        }
    }
}
