"""EIP-712 attestations (PROTOCOL.md §4): typed data built from the contract's own ABI, signed with eth-account.

The struct's field names and types are read from the `attestBatch` entry of the ABI (its first argument is an
array of the Attestation struct), never retyped here, so a change to the Solidity struct cannot silently
desynchronise the digests. The ABI is passed in: the node gives `node.chain.artifacts.load_artifact().abi`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import keccak, to_checksum_address

DOMAIN_NAME = "gradchain"
DOMAIN_VERSION = "1"
BATCH_FUNCTION = "attestBatch"

_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


class AbiMismatch(ValueError):
    """The ABI has no usable Attestation struct, or the values do not fit it."""


@dataclass(frozen=True)
class AttestationType:
    """The struct as the contract declares it: its EIP-712 name and ordered (name, type) fields."""

    name: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SignedAttestation:
    """What `attestBatch` takes for one vote: the struct as a tuple in ABI order, and the 65-byte signature."""

    struct: tuple
    signature: bytes
    digest: bytes  # the EIP-712 digest that was signed (keccak256(0x1901 ‖ domainSeparator ‖ structHash))
    signer: str


def attestation_type(abi: list[dict]) -> AttestationType:
    """The Attestation struct read from the components of `attestBatch`'s first argument."""
    for entry in abi:
        if entry.get("type") == "function" and entry.get("name") == BATCH_FUNCTION:
            inputs = entry.get("inputs", [])
            if not inputs or not inputs[0].get("type", "").startswith("tuple"):
                raise AbiMismatch(f"{BATCH_FUNCTION}'s first argument is not a struct array: {inputs[:1]}")
            arg = inputs[0]
            # internalType looks like "struct IGradchainLedger.Attestation[]": the EIP-712 type name is the last part.
            internal = arg.get("internalType", "")
            name = internal.removeprefix("struct ").split(".")[-1].split("[")[0]
            if not name:
                raise AbiMismatch(f"{BATCH_FUNCTION}'s argument has no struct internalType: {arg}")
            fields = []
            for comp in arg.get("components", []):
                if comp["type"].startswith("tuple"):
                    raise AbiMismatch(f"nested struct field {comp['name']} is not supported")
                fields.append((comp["name"], comp["type"]))
            if not fields:
                raise AbiMismatch(f"{BATCH_FUNCTION}'s struct has no components")
            return AttestationType(name=name, fields=tuple(fields))
    raise AbiMismatch(f"the ABI has no function {BATCH_FUNCTION}: is it the GradchainLedger ABI?")


def attestation_typed_data(
    abi: list[dict], chain_id: int, verifying_contract: str, values: Mapping[str, Any]
) -> dict:
    """The full EIP-712 message (domain, types, primaryType, message) for one attestation.

    `values` maps every struct field name of the ABI (e.g. claimId, approve, transcriptRoot, seed) to its value;
    bytes32 fields take 32 bytes or 0x-hex.
    """
    kind = attestation_type(abi)
    names = [n for n, _ in kind.fields]
    missing = [n for n in names if n not in values]
    extra = [n for n in values if n not in names]
    if missing or extra:
        raise AbiMismatch(f"attestation values do not fit struct {kind.name}{names}: missing {missing}, unknown {extra}")
    return {
        "types": {
            "EIP712Domain": _DOMAIN_TYPE,
            kind.name: [{"name": n, "type": t} for n, t in kind.fields],
        },
        "primaryType": kind.name,
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": int(chain_id),
            "verifyingContract": to_checksum_address(verifying_contract),
        },
        "message": {n: _normalise(values[n], t) for n, t in kind.fields},
    }


def _normalise(value: Any, abi_type: str) -> Any:
    """Values as eth-account's typed-data encoder wants them (bytesN as bytes of the right length)."""
    if abi_type.startswith("bytes") and abi_type != "bytes":
        raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
        size = int(abi_type[5:])
        if len(raw) != size:
            raise AbiMismatch(f"{abi_type} value has {len(raw)} bytes")
        return raw
    if abi_type.startswith(("uint", "int")):
        return int(value)
    if abi_type == "bool":
        if not isinstance(value, bool):
            raise AbiMismatch(f"bool field got {value!r}")
        return value
    if abi_type == "address":
        return to_checksum_address(value)
    return value


def digest_of(message: SignableMessage) -> bytes:
    """keccak256(0x19 ‖ version ‖ domainSeparator ‖ structHash): what ECDSA.recover sees on chain."""
    return keccak(b"\x19" + message.version + message.header + message.body)


def attestation_digest(abi: list[dict], chain_id: int, verifying_contract: str, values: Mapping[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest of an attestation (the contract's `_hashTypedDataV4(structHash)`)."""
    return digest_of(encode_typed_data(full_message=attestation_typed_data(abi, chain_id, verifying_contract, values)))


def sign_attestation(
    abi: list[dict], chain_id: int, verifying_contract: str, values: Mapping[str, Any], private_key: Any
) -> SignedAttestation:
    """Sign one attestation with eth-account; the result plugs straight into `attestBatch`."""
    full = attestation_typed_data(abi, chain_id, verifying_contract, values)
    message = encode_typed_data(full_message=full)
    signed = Account.sign_message(message, private_key=private_key)
    kind = attestation_type(abi)
    return SignedAttestation(
        struct=tuple(full["message"][n] for n, _ in kind.fields),
        signature=bytes(signed.signature),
        digest=digest_of(message),
        signer=Account.from_key(private_key).address,
    )


def recover_signer(abi: list[dict], chain_id: int, verifying_contract: str, values: Mapping[str, Any], signature: bytes) -> str:
    """The address that signed `values` (what the contract's ECDSA.recover returns)."""
    message = encode_typed_data(full_message=attestation_typed_data(abi, chain_id, verifying_contract, values))
    return Account.recover_message(message, signature=signature)
