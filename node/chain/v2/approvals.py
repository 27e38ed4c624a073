"""EIP-712 Approval signatures for approveBySig / approveBatch (contracts/v2.md, approve).

Domain ("gradchain", "2", chainId, ledger) read from the ledger's ERC-5267 `eip712Domain()` view; type
`Approval(uint256 claimId,bytes32 transcriptRoot,bytes32 seed)` with the claim's stored root and seed. The type
string is checked against LedgerV2.sol's _APPROVAL_TYPEHASH and the digest against its `approvalDigest` view
(tests/chain/test_ledger_v2.py), and pinned by contracts/test/vectors/approval_v2.json.
"""
from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

DOMAIN_NAME = "gradchain"
DOMAIN_VERSION = "2"
APPROVAL_FIELDS = (("claimId", "uint256"), ("transcriptRoot", "bytes32"), ("seed", "bytes32"))
APPROVAL_TYPE = "Approval(" + ",".join(f"{t} {n}" for n, t in APPROVAL_FIELDS) + ")"
APPROVAL_TYPEHASH = keccak(text=APPROVAL_TYPE)


@dataclass(frozen=True)
class Domain:
    name: str
    version: str
    chain_id: int
    verifying_contract: str

    def as_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "chainId": self.chain_id,
                "verifyingContract": self.verifying_contract}


def domain_of(ledger) -> Domain:
    """The ledger's EIP-712 domain, from its eip712Domain() view (checked to be gradchain v2)."""
    _fields, name, version, chain_id, contract, _salt, _ext = ledger.call("eip712Domain")
    if (name, version) != (DOMAIN_NAME, DOMAIN_VERSION):
        raise ValueError(f"not a gradchain v2 ledger: EIP-712 domain {name!r} {version!r}")
    return Domain(name, version, chain_id, contract)


def typed_data(domain: Domain, claim_id: int, transcript_root: bytes, seed: bytes) -> dict:
    return {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            "Approval": [{"name": n, "type": t} for n, t in APPROVAL_FIELDS],
        },
        "primaryType": "Approval",
        "domain": domain.as_dict(),
        "message": {"claimId": claim_id, "transcriptRoot": bytes(transcript_root), "seed": bytes(seed)},
    }


def approval_digest(domain: Domain, claim_id: int, transcript_root: bytes, seed: bytes) -> bytes:
    signable = encode_typed_data(full_message=typed_data(domain, claim_id, transcript_root, seed))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_approval(account: LocalAccount, domain: Domain, claim_id: int, transcript_root: bytes,
                  seed: bytes) -> bytes:
    """65-byte r ‖ s ‖ v (v 27/28), as approveBySig takes it."""
    signed = Account.sign_message(encode_typed_data(full_message=typed_data(domain, claim_id, transcript_root, seed)),
                                  account.key)
    return bytes(signed.signature)


def sign_claim_approval(ledger, account: LocalAccount, claim_id: int) -> bytes:
    """Sign an approval of `claim_id` with its stored root and seed, read from the chain."""
    from .rules import claim_seed

    claim = ledger.claim(claim_id)
    return sign_approval(account, domain_of(ledger), claim_id, claim.transcript_root, claim_seed(ledger, claim))


# secp256k1's group order: a signature with s above half of it is the malleated twin of a valid one, and
# OpenZeppelin's ECDSA (the ledger's _recover) refuses it.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def recover_approver(domain: Domain, claim_id: int, transcript_root: bytes, seed: bytes, signature: bytes) -> str:
    """The account that signed this approval, under the rules the ledger's _recover applies (65 bytes, v 27/28,
    low s); ValueError naming what is wrong otherwise."""
    if len(signature) != 65:
        raise ValueError(f"an approval signature is 65 bytes (r, s, v), got {len(signature)}")
    s, v = int.from_bytes(signature[32:64], "big"), signature[64]
    if v not in (27, 28):
        raise ValueError(f"an approval signature's v is 27 or 28, got {v}")
    if s > SECP256K1_N // 2:
        raise ValueError("an approval signature's s is in the upper half of the curve order (malleated)")
    signable = encode_typed_data(full_message=typed_data(domain, claim_id, transcript_root, seed))
    try:
        return Account.recover_message(signable, signature=signature)
    except Exception as exc:  # eth_keys' BadSignature and kin: bytes that are no point on the curve
        raise ValueError(f"the approval signature does not recover to an account: {exc}") from None
