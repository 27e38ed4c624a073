// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGradchainLedger} from "../../src/IGradchainLedger.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";

/// @notice One measured call per contract, everything else in setUp, so `forge test --gas-report` on this
///         folder shows exactly the four cases of the gas targets (bench/gas.sh).

contract GasSubmitClaim is LedgerFixture {
    uint256 internal jobId;

    function setUp() public {
        _deploy();
        jobId = _createJob();
        _stakeAll();
    }

    function test_gas_submitClaim() public {
        vm.prank(worker);
        ledger.submitClaim(jobId, 0, GENESIS, RESULT, ROOT, 100, URI);
    }
}

contract GasAttest is LedgerFixture {
    uint256 internal claimId;
    bytes32 internal seed;

    function setUp() public {
        _deploy();
        uint256 jobId = _createJob();
        _stakeAll();
        claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        seed = ledger.claimSeed(claimId);
    }

    function test_gas_attest() public {
        vm.prank(v1);
        ledger.attest(claimId, true, seed);
    }
}

contract GasAttestBatch3 is LedgerFixture {
    IGradchainLedger.Attestation[] internal atts;
    bytes[] internal sigs;

    function setUp() public {
        _deploy();
        uint256 jobId = _createJob();
        _stakeAll();
        uint256 claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        uint256[3] memory keys = [V1_KEY, V2_KEY, V3_KEY];
        for (uint256 i; i < 3; ++i) {
            IGradchainLedger.Attestation memory a = _att(claimId, true);
            atts.push(a);
            sigs.push(_sign(keys[i], a));
        }
    }

    function test_gas_attestBatch3() public {
        ledger.attestBatch(atts, sigs);
    }
}

contract GasFinalize3 is LedgerFixture {
    uint256 internal claimId;

    function setUp() public {
        _deploy();
        uint256 jobId = _createJob();
        _stakeAll();
        claimId = _submit(jobId, worker);
        _rollToVoting(claimId);
        _vote(v1, claimId, true);
        _vote(v2, claimId, true);
        _vote(v3, claimId, false);
        _rollPastDeadline(claimId);
    }

    /// @dev 2 approve, 1 reject: Accepted, worker rewarded, two fees, one minority slash split two ways.
    function test_gas_finalizeClaim3() public {
        ledger.finalizeClaim(claimId);
    }
}
