// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ILedgerV2} from "../../src/v2/ILedgerV2.sol";
import {LedgerV2} from "../../src/v2/LedgerV2.sol";
import {V2Fixture} from "./utils/V2Fixture.sol";

/// @notice Cheatcodes this test needs beyond utils/Vm.sol.
interface VmStorage {
    function copyStorage(address from, address to) external;
    function setBlockhash(uint256 blockNumber, bytes32 blockHash) external;
}

/// @notice The cross-language EIP-712 Approval vector of contracts/test/vectors/approval_v2.json, made with
///         eth-account (node/chain/v2/approvals.py). The ledger (code and constructor storage) is placed at the
///         vector's verifyingContract, claim 1 is submitted with its transcriptRoot and the seed block's hash is
///         set to its seed: approvalDigest must equal the vector's digest, and forge's signer its signature.
contract ApprovalVectorTest is V2Fixture {
    VmStorage internal constant vmStorage = VmStorage(address(uint160(uint256(keccak256("hevm cheat code")))));
    string internal constant PATH = "contracts/test/vectors/approval_v2.json";

    string internal json;
    uint256 internal claimId;

    function setUp() public {
        json = vm.readFile(PATH);
        vm.chainId(vm.parseJsonUint(json, ".typedData.domain.chainId"));
        _deploy();
        address fixedAt = vm.parseJsonAddress(json, ".typedData.domain.verifyingContract");
        vm.etch(fixedAt, address(ledger).code);
        vmStorage.copyStorage(address(ledger), fixedAt);
        ledger = LedgerV2(fixedAt);
        jobId = _createJob(_params(), 100 ether);
        vm.prank(worker);
        ledger.stake{value: 5 ether}(WORKER);
        vm.roll(block.number + 1);
        vm.prank(worker);
        claimId = ledger.submitClaim(jobId, 0, GENESIS, RESULT, vm.parseJsonBytes32(json, ".typedData.message.transcriptRoot"), uint32(STEPS), URI);
        uint256 seedBlock = ledger.getClaim(claimId).seedBlock;
        vm.roll(seedBlock + 1);
        vmStorage.setBlockhash(seedBlock, vm.parseJsonBytes32(json, ".typedData.message.seed"));
    }

    function test_vector_inputs() public view {
        assertEq(claimId, vm.parseJsonUint(json, ".typedData.message.claimId"), "claim id");
        assertEq(ROOT, vm.parseJsonBytes32(json, ".typedData.message.transcriptRoot"), "root");
        assertEq(
            keccak256("Approval(uint256 claimId,bytes32 transcriptRoot,bytes32 seed)"),
            vm.parseJsonBytes32(json, ".approvalTypehash"),
            "typehash"
        );
    }

    function test_vector_digest() public view {
        assertEq(ledger.approvalDigest(claimId), vm.parseJsonBytes32(json, ".expectedDigest"), "digest");
    }

    function test_vector_signature() public view {
        bytes32 digest = vm.parseJsonBytes32(json, ".expectedDigest");
        uint256 key = vm.parseJsonUint(json, ".signerKey");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        address signer = vm.parseJsonAddress(json, ".signer");
        assertEq(vm.addr(key), signer, "signer");
        assertEq(r, vm.parseJsonBytes32(json, ".signature.r"), "r");
        assertEq(s, vm.parseJsonBytes32(json, ".signature.s"), "s");
        assertEq(v, vm.parseJsonUint(json, ".signature.v"), "v");
        assertEq(ECDSA.recover(digest, v, r, s), signer, "recovered");
    }
}
