// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../../src/v2/ILedgerV2.sol";
import {V2Fixture} from "../utils/V2Fixture.sol";

/// @notice One full round of N = 8 accepted claims with D = 3: N submissions (one per worker, one block apart),
///         all 3N approvals relayed by signature in one approveBatch, one finalizeClaims, proposeHead and
///         finalizeHead. bench/gas_v2.sh runs it with --isolate --gas-report (each call its own transaction, cold
///         storage, 21,000 base and calldata included) and prints the all-in gas per accepted claim.
contract LedgerV2GasRound is V2Fixture {
    uint256 internal constant N = 8;
    address[N] internal workers;

    function setUp() public {
        _deploy();
        jobId = _createJob(_params(), 100 ether);
        for (uint256 i; i < N; ++i) {
            workers[i] = vm.addr(0xC000 + i);
            vm.deal(workers[i], 10 ether);
            vm.prank(workers[i]);
            ledger.stake{value: 2 ether}(WORKER);
        }
        vm.prank(aggregator);
        ledger.stake{value: 5 ether}(VERIFIER);
        for (uint256 i; i < NV; ++i) {
            vm.prank(vs[i]);
            ledger.stake{value: 3 ether}(VERIFIER);
        }
        vm.roll(block.number + 1);
    }

    function test_gas_round_of_8_accepted_claims() public {
        uint256[] memory ids = new uint256[](N);
        for (uint256 i; i < N; ++i) {
            vm.prank(workers[i]);
            ids[i] = ledger.submitClaim(jobId, 0, GENESIS, keccak256(abi.encode(i)), ROOT, uint32(STEPS), URI);
            vm.roll(block.number + 1);
        }
        vm.roll(block.number + 2);
        uint256[] memory claimIds = new uint256[](3 * N);
        bytes[] memory sigs = new bytes[](3 * N);
        for (uint256 i; i < N; ++i) {
            address[] memory m = _members(ids[i]);
            for (uint256 k; k < 3; ++k) {
                claimIds[3 * i + k] = ids[i];
                sigs[3 * i + k] = _sig(m[k], ids[i]);
            }
        }
        vm.prank(aggregator);
        ledger.approveBatch(claimIds, sigs);
        vm.roll(block.number + 25);
        vm.prank(aggregator);
        ledger.finalizeClaims(ids);
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        assertEq(j.acceptedCount, N, "all accepted");
        vm.prank(aggregator);
        uint256 pid = ledger.proposeHead(jobId, 0, keccak256("mean"), j.accumulator);
        vm.roll(block.number + 11);
        vm.prank(aggregator);
        ledger.finalizeHead(pid);
        assertEq(ledger.getJob(jobId).round, 1, "round advanced");
    }
}
