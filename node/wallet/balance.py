"""What an address holds in gradchain: wallet ETH, stakes, claimable credit and rewards still pending.

Claimable credit is the contract's `creditOf`; pending rewards are derived from events (this worker's
ClaimSubmitted, this verifier's Attested) whose claim is still Pending, priced at the job's terms.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from node.chain.client import Ledger
from node.chain.enums import ClaimStatus

from .history import address_history
from .session import ROLES



@dataclass(frozen=True)
class StakeState:
    role: str
    active_wei: int
    unbonding_wei: int
    unlock_block: int  # first block at which `unbonding_wei` can be withdrawn (0 if nothing unbonds)
    open_locks: int  # open claims or votes backed by this stake: it cannot start unbonding while > 0

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "active_wei": str(self.active_wei), "unbonding_wei": str(self.unbonding_wei),
                "unlock_block": self.unlock_block, "open_locks": self.open_locks}


@dataclass(frozen=True)
class PendingClaim:
    claim_id: int
    job_id: int
    role: str  # worker: its own claim; verifier: a claim it voted on
    reward_wei: int  # the worker's reward, or the verifier's fee if it ends on the winning side
    deadline: int  # last block of voting; finalizeClaim settles it after this

    def to_json(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "job_id": self.job_id, "role": self.role,
                "reward_wei": str(self.reward_wei), "deadline": self.deadline}


@dataclass(frozen=True)
class Balance:
    address: str
    block: int
    eth_wei: int
    stakes: list[StakeState]
    claimable_wei: int
    pending: list[PendingClaim] = field(default_factory=list)
    credited_total_wei: int = 0
    withdrawn_total_wei: int = 0
    zero_reason: str | None = None  # why claimable is zero; None when there is something to withdraw

    @property
    def pending_wei(self) -> int:
        return sum(p.reward_wei for p in self.pending)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "block": self.block,
            "eth_wei": str(self.eth_wei),
            "stakes": [s.to_json() for s in self.stakes],
            "claimable_wei": str(self.claimable_wei),
            "pending_wei": str(self.pending_wei),
            "pending": [p.to_json() for p in self.pending],
            "credited_total_wei": str(self.credited_total_wei),
            "withdrawn_total_wei": str(self.withdrawn_total_wei),
            "zero_reason": self.zero_reason,
        }


def _named(ledger: Ledger, function: str, value: Any) -> dict[str, Any]:
    """A struct return value as a dict keyed by the ABI's field names (nested structs included)."""
    entry = next(e for e in ledger.artifact.abi if e.get("type") == "function" and e["name"] == function)
    return _zip_components(entry["outputs"][0]["components"], value)


def _zip_components(components: list[dict], value: Any) -> dict[str, Any]:
    named = {}
    for component, item in zip(components, value):
        if component["type"] == "tuple":
            item = _zip_components(component["components"], item)
        named[component["name"]] = item
    return named


def _pending_claims(ledger: Ledger, history: list, block: int) -> list[PendingClaim]:
    jobs: dict[int, Any] = {}
    pending = []
    for entry in history:
        if entry.kind not in ("claim", "vote"):
            continue
        claim = _named(ledger, "getClaim", ledger.call("getClaim", entry.claim_id, block=block))
        if int(claim["status"]) != ClaimStatus.PENDING:
            continue
        job_id = int(claim["jobId"])
        if job_id not in jobs:
            jobs[job_id] = _named(ledger, "getJob", ledger.call("getJob", job_id, block=block))
        params = jobs[job_id]["params"]
        reward = params["rewardPerClaim"] if entry.kind == "claim" else params["verifierFee"]
        pending.append(PendingClaim(claim_id=entry.claim_id, job_id=job_id, role=entry.role, reward_wei=int(reward),
                                    deadline=int(claim["deadline"])))
    return pending


def zero_reason(claimable: int, credited: int, withdrawn: int, pending: list[PendingClaim]) -> str | None:
    """Why nothing can be withdrawn right now, in the words a user would look for."""
    if claimable > 0:
        return None
    reasons = []
    if credited > 0 and withdrawn >= credited:
        reasons.append("already withdrawn")
    if pending:
        last = max(p.deadline for p in pending)
        reasons.append(f"claims still in their window: {len(pending)} pending, voting ends by block {last}")
    if not reasons:
        reasons.append("nothing accepted yet")
    return "; ".join(reasons)


def read_balance(ledger: Ledger, address: str, from_block: int) -> Balance:
    """A consistent snapshot at the current block (all reads pinned to it)."""
    w3 = ledger.w3
    address = w3.to_checksum_address(address)
    block = w3.eth.block_number
    stakes = []
    for role, role_id in ROLES.items():
        active, unbonding, unlock_block, open_locks = ledger.call("stakeOf", address, role_id, block=block)
        stakes.append(StakeState(role, int(active), int(unbonding), int(unlock_block), int(open_locks)))
    claimable = int(ledger.call("creditOf", address, block=block))
    history = address_history(ledger, address, from_block, to_block=block)
    credited = sum(e.amount_wei for e in history if e.kind in ("reward", "fee", "slash-share"))
    withdrawn = sum(e.amount_wei for e in history if e.kind == "withdrawal")
    pending = _pending_claims(ledger, history, block)
    return Balance(
        address=address,
        block=block,
        eth_wei=int(w3.eth.get_balance(address, block)),
        stakes=stakes,
        claimable_wei=claimable,
        pending=pending,
        credited_total_wei=credited,
        withdrawn_total_wei=withdrawn,
        zero_reason=zero_reason(claimable, credited, withdrawn, pending),
    )
