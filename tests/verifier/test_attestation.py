"""EIP-712 attestations built from the contract ABI: the shared digest vector, the live contract, signatures."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak

from node.chain.artifacts import ArtifactMissing, load_artifact
from verifier.attestation import (AbiMismatch, attestation_digest, attestation_type, attestation_typed_data,
                                  recover_signer, sign_attestation)

VECTOR = Path(__file__).resolve().parents[2] / "contracts" / "test" / "vectors" / "attestation_digest.json"
KEY = "0x" + "42" * 32  # a throwaway test key


@pytest.fixture(scope="module")
def abi():
    try:
        return load_artifact().abi
    except ArtifactMissing as e:
        pytest.skip(f"contract not built: {e}")


VALUES = {"claimId": 7, "approve": True, "transcriptRoot": keccak(b"root"), "seed": keccak(b"seed")}


def test_struct_is_read_from_the_abi(abi):
    kind = attestation_type(abi)
    assert kind.name == "Attestation"
    assert kind.fields == (("claimId", "uint256"), ("approve", "bool"), ("transcriptRoot", "bytes32"),
                           ("seed", "bytes32"))
    typestring = kind.name + "(" + ",".join(f"{t} {n}" for n, t in kind.fields) + ")"
    assert typestring == "Attestation(uint256 claimId,bool approve,bytes32 transcriptRoot,bytes32 seed)"


def test_sign_and_recover(abi):
    contract = "0x" + "c0" * 20
    signed = sign_attestation(abi, 31337, contract, VALUES, KEY)
    assert len(signed.signature) == 65
    assert signed.struct == (7, True, VALUES["transcriptRoot"], VALUES["seed"])
    assert signed.signer == Account.from_key(KEY).address
    assert recover_signer(abi, 31337, contract, VALUES, signed.signature) == signed.signer
    assert signed.digest == attestation_digest(abi, 31337, contract, VALUES)
    # Every field, the chain and the contract are in the digest.
    for change in ({"approve": False}, {"claimId": 8}, {"seed": bytes(32)}, {"transcriptRoot": bytes(32)}):
        assert attestation_digest(abi, 31337, contract, {**VALUES, **change}) != signed.digest
    assert attestation_digest(abi, 1, contract, VALUES) != signed.digest
    assert attestation_digest(abi, 31337, "0x" + "c1" * 20, VALUES) != signed.digest


def test_values_must_fit_the_struct(abi):
    with pytest.raises(AbiMismatch, match="missing \\['seed'\\]"):
        attestation_typed_data(abi, 1, "0x" + "00" * 20, {k: v for k, v in VALUES.items() if k != "seed"})
    with pytest.raises(AbiMismatch, match="unknown \\['extra'\\]"):
        attestation_typed_data(abi, 1, "0x" + "00" * 20, {**VALUES, "extra": 1})
    with pytest.raises(AbiMismatch, match="bytes32 value has 3 bytes"):
        attestation_typed_data(abi, 1, "0x" + "00" * 20, {**VALUES, "seed": b"abc"})
    with pytest.raises(AbiMismatch, match="no function attestBatch"):
        attestation_type([e for e in abi if e.get("name") != "attestBatch"])


def test_digest_matches_the_live_contract(abi, w3):
    """The deployed ledger's own attestationDigest(att) equals ours (anvil, real deployment)."""
    from node.chain.client import deploy_ledger
    from node.chain.devaccounts import dev_account

    ledger, _ = deploy_ledger(w3, dev_account(0), 10)
    for values in (VALUES, {**VALUES, "approve": False, "claimId": 2**255 + 3}):
        kind = attestation_type(abi)
        on_chain = ledger.contract.functions.attestationDigest(
            tuple(values[n] for n, _ in kind.fields)).call()
        assert bytes(on_chain) == attestation_digest(abi, w3.eth.chain_id, ledger.contract.address, values)


def test_shared_vector(abi):
    """contracts/test/vectors/attestation_digest.json, which the forge test replays too: same digest, same signer."""
    vector = json.loads(VECTOR.read_text())
    typed = vector["typedData"]
    values = {n: typed["message"][n] for n, _ in attestation_type(abi).fields}
    domain = typed["domain"]
    digest = attestation_digest(abi, domain["chainId"], domain["verifyingContract"], values)
    assert "0x" + digest.hex() == vector["expectedDigest"]
    signed = sign_attestation(abi, domain["chainId"], domain["verifyingContract"], values,
                              vector["signature"]["privateKey"])
    assert "0x" + signed.signature.hex() == vector["signature"]["bytes"]
    assert recover_signer(abi, domain["chainId"], domain["verifyingContract"], values,
                          signed.signature) == vector["signature"]["signer"]
