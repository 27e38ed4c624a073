"""Typed views of LedgerV2: frozen dataclasses built from the ABI's output components, by name, once.

web3 returns structs as tuples; `from_abi` maps them by the ABI component names (camelCase -> snake_case),
checks that every dataclass field is one of them (a drifted ABI fails loudly), turns enums (internalType
`enum ILedgerV2.X`) into the IntEnum mirrors below and addresses into checksummed strings. bytes32 stay bytes.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from web3 import Web3

from ..artifacts import load_artifact
from ..client import Ledger

LEDGER_V2 = "LedgerV2"


# -- enums: mirrored once from contracts/src/v2/ILedgerV2.sol (tests/chain/test_ledger_v2.py checks them) --------
class Role(IntEnum):
    NONE = 0
    WORKER = 1
    VERIFIER = 2


class ClaimStatus(IntEnum):
    NONE = 0
    PENDING = 1
    ACCEPTED = 2
    REJECTED = 3
    EXPIRED = 4


class DisputeKind(IntEnum):
    NONE = 0
    CLAIM = 1
    HEAD = 2


class DisputeStatus(IntEnum):
    NONE = 0
    OPEN = 1
    RESOLVED = 2
    NO_VERDICT = 3


class ProposalStatus(IntEnum):
    NONE = 0
    PENDING = 1
    ACCEPTED = 2
    REJECTED = 3
    DROPPED = 4


class CreditReason(IntEnum):
    REWARD = 0
    FEE = 1
    SLASH_SHARE = 2


class SlashReason(IntEnum):
    CLAIM_BOND = 0
    APPROVAL_BOND = 1
    CHALLENGE_BOND = 2
    JUROR_BOND = 3
    HEAD_BOND = 4
    EXPIRY_PENALTY = 5
    MISS_PENALTY = 6


ENUMS: dict[str, type[IntEnum]] = {e.__name__: e for e in (
    Role, ClaimStatus, DisputeKind, DisputeStatus, ProposalStatus, CreditReason, SlashReason)}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


# -- structs --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobParams:
    spec_hash: bytes
    genesis_head: bytes
    reward_per_claim: int
    approval_fee: int
    committee_size: int
    quorum: int
    jury_size: int
    samples_per_member: int
    checkpoint_every: int
    claim_bond: int
    approval_bond: int
    submit_window: int
    verify_window: int
    challenge_window: int
    challenge_bond: int
    juror_bond: int
    commit_window: int
    reveal_window: int
    head_window: int
    max_claims_per_round: int
    head_bond: int
    expiry_penalty: int
    max_redraws: int
    miss_penalty: int

    def as_tuple(self) -> tuple:
        """The struct as createJob takes it (field order is the ABI's)."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))


@dataclass(frozen=True)
class JobState:
    owner: str
    escrow: int
    reserved: int
    round: int
    round_start: int
    open_claims: int
    round_claims: int
    accepted_count: int
    head: bytes
    accumulator: bytes
    pending_proposal: int


@dataclass(frozen=True)
class ClaimInfo:
    worker: str
    job_id: int
    round: int
    submit_block: int
    seed_block: int
    vote_deadline: int
    challenge_deadline: int
    seat_count: int
    segments: int
    status: ClaimStatus
    approved_mask: int
    dispute_id: int
    result: bytes
    transcript_root: bytes


@dataclass(frozen=True)
class Seat:
    account: str
    registered_at: int
    retired_at: int


@dataclass(frozen=True)
class DisputeInfo:
    kind: DisputeKind
    status: DisputeStatus
    subject_id: int
    job_id: int
    open_block: int
    seat_count: int
    attempt: int
    jury_seed_block: int
    commit_deadline: int
    reveal_deadline: int
    segments: tuple
    faulty_mask: int
    reveals: int
    challengers: tuple


@dataclass(frozen=True)
class ProposalInfo:
    proposer: str
    job_id: int
    round: int
    status: ProposalStatus
    propose_block: int
    dispute_id: int
    parent: bytes
    new_head: bytes


@dataclass(frozen=True)
class StakeInfo:
    active: int
    locked: int
    unbonding: int
    unlock_block: int
    credit: int
    seat_plus_one: int

    @property
    def unlocked(self) -> int:
        return self.active - self.locked


STRUCTS: dict[str, type] = {c.__name__: c for c in (
    JobParams, JobState, ClaimInfo, Seat, DisputeInfo, ProposalInfo, StakeInfo)}


def _convert(component: dict, value: Any) -> Any:
    internal = component.get("internalType", "")
    kind = component["type"]
    if internal.startswith("enum "):
        return ENUMS[internal.rsplit(".", 1)[-1]](value)
    if kind == "address":
        return Web3.to_checksum_address(value)
    if kind == "address[]":
        return tuple(Web3.to_checksum_address(v) for v in value)
    if kind.startswith("bytes") and kind[5:].isdigit():
        return bytes(value)
    if kind.endswith("[]"):
        return tuple(value)
    return value


def from_abi(cls: type, components: list[dict], value: tuple | list) -> Any:
    """Build `cls` from a web3 tuple, field by field, by the ABI component names."""
    names = [snake(c["name"]) for c in components]
    fields = [f.name for f in dataclasses.fields(cls)]
    if sorted(names) != sorted(fields):
        raise TypeError(f"{cls.__name__} does not match the ABI: {sorted(set(names) ^ set(fields))}")
    return cls(**{n: _convert(c, v) for n, c, v in zip(names, components, value)})


def struct_components(abi: list[dict], struct: str) -> list[dict]:
    """The components of `struct ILedgerV2.<struct>` wherever the ABI carries it (an input or an output)."""
    wanted = f"struct ILedgerV2.{struct}"
    for entry in abi:
        for io in entry.get("outputs", []) + entry.get("inputs", []):
            if io.get("internalType") == wanted:
                return io["components"]
    raise KeyError(f"{wanted} is not in the ABI")


def params_out_of_range(abi: list[dict], params: "JobParams") -> list[tuple[str, int, int]]:
    """(field, value, largest) for each JobParams field whose value its ABI type (uintN) cannot hold: web3 would
    refuse to encode it with an error naming neither the field nor the range."""
    bad = []
    for component in struct_components(abi, "JobParams"):
        kind, name = component["type"], snake(component["name"])
        if kind.startswith("uint"):
            largest = 2 ** int(kind[4:] or 256) - 1
            value = getattr(params, name)
            if not 0 <= value <= largest:
                bad.append((name, value, largest))
    return bad


class LedgerV2(Ledger):
    """node.chain.client.Ledger on the LedgerV2 artifact, with typed views."""

    def __init__(self, w3: Web3, address: str, artifact=None):
        super().__init__(w3, address, artifact or load_artifact(LEDGER_V2))
        self._outputs = {e["name"]: e["outputs"] for e in self.artifact.abi if e.get("type") == "function"}

    def _struct(self, cls: type, function: str, *args: Any, block: int | str = "latest") -> Any:
        (output,) = self._outputs[function]
        return from_abi(cls, output["components"], self.call(function, *args, block=block))

    def job(self, job_id: int, block: int | str = "latest") -> JobState:
        return self._struct(JobState, "getJob", job_id, block=block)

    def job_params(self, job_id: int, block: int | str = "latest") -> JobParams:
        return self._struct(JobParams, "getJobParams", job_id, block=block)

    def claim(self, claim_id: int, block: int | str = "latest") -> ClaimInfo:
        return self._struct(ClaimInfo, "getClaim", claim_id, block=block)

    def committee(self, claim_id: int, block: int | str = "latest") -> tuple[int, ...]:
        return tuple(self.call("committeeOf", claim_id, block=block))

    def dispute(self, dispute_id: int, block: int | str = "latest") -> DisputeInfo:
        return self._struct(DisputeInfo, "getDispute", dispute_id, block=block)

    def jury(self, dispute_id: int, block: int | str = "latest") -> tuple[int, ...]:
        return tuple(self.call("juryOf", dispute_id, block=block))

    def proposal(self, proposal_id: int, block: int | str = "latest") -> ProposalInfo:
        return self._struct(ProposalInfo, "getProposal", proposal_id, block=block)

    def seat(self, index: int, block: int | str = "latest") -> Seat:
        return self._struct(Seat, "seatAt", index, block=block)

    def seat_count(self, block: int | str = "latest") -> int:
        return self.call("seatCount", block=block)

    def seats(self, block: int | str = "latest") -> list[Seat]:
        return [self.seat(i, block=block) for i in range(self.seat_count(block=block))]

    def stake(self, account: str, role: Role | int, block: int | str = "latest") -> StakeInfo:
        return self._struct(StakeInfo, "stakeOf", Web3.to_checksum_address(account), int(role), block=block)

    def credit(self, account: str, block: int | str = "latest") -> int:
        return self.call("creditOf", Web3.to_checksum_address(account), block=block)
