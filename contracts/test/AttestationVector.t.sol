// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {GradchainLedger} from "../src/GradchainLedger.sol";
import {IGradchainLedger} from "../src/IGradchainLedger.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice The cross-language EIP-712 vector of contracts/test/vectors/attestation_digest.json. The expected
///         digest and signature were produced independently with eth-account 0.14 (encode_typed_data and
///         sign_message); this test checks the contract and forge's signer agree with them.
contract AttestationVectorTest is TestBase {
    address internal constant VERIFYING_CONTRACT = 0x5FbDB2315678afecb367f032d93F642f64180aa3;
    bytes32 internal constant EXPECTED_DIGEST = 0x52ce752121567f44ff7a59b1f6eaadbd4c840c0e6ecebda0f2e4fae781fdb555;
    uint256 internal constant KEY = 0xA11CE;
    address internal constant SIGNER = 0xe05fcC23807536bEe418f142D19fa0d21BB0cfF7;
    bytes32 internal constant R = 0x66e91dec03b7f13e7d1c2b56707ec505f2776820442bd8bb0262946b91e63e5c;
    bytes32 internal constant S = 0x37f364f973bf85f0a9959554aa5c8e75a763b491fb99bfb2f07d73a762534bbf;
    uint8 internal constant V = 27;

    IGradchainLedger internal ledger;

    function setUp() public {
        vm.chainId(31337);
        GradchainLedger deployed = new GradchainLedger(10);
        vm.etch(VERIFYING_CONTRACT, address(deployed).code);
        ledger = IGradchainLedger(VERIFYING_CONTRACT);
    }

    function _attestation() internal pure returns (IGradchainLedger.Attestation memory) {
        return IGradchainLedger.Attestation({
            claimId: 7,
            approve: true,
            transcriptRoot: keccak256("transcript"),
            seed: keccak256("seed")
        });
    }

    function test_vector_digest() public view {
        assertEq(ledger.attestationDigest(_attestation()), EXPECTED_DIGEST, "digest");
    }

    function test_vector_signature() public pure {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(KEY, EXPECTED_DIGEST);
        assertEq(vm.addr(KEY), SIGNER, "signer address");
        assertEq(r, R, "r");
        assertEq(s, S, "s");
        assertEq(v, V, "v");
        assertEq(ECDSA.recover(EXPECTED_DIGEST, abi.encodePacked(R, S, V)), SIGNER, "recovered");
    }
}
