"""What an address holds in a LedgerV2: wallet ETH, per role active / locked / unlocked / unbonding stake, the
verifier's seat, the one pooled credit (creditOf) and rewards of claims still pending.

All reads are pinned to one block, through the typed views (node/chain/v2/views.py), never tuple positions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from node.chain.v2.views import ClaimStatus, LedgerV2, Role

from .history_v2 import address_history_v2

ROLES_V2 = (Role.WORKER, Role.VERIFIER)


@dataclass(frozen=True)
class PendingClaim:
    claim_id: int
    job_id: int
    role: str  # worker: its own claim; verifier: a claim it approved
    reward_wei: int  # the worker's reward, or the approver's fee if the claim is accepted
    deadline: int  # the claim's challenge deadline; finalizeClaim settles it after this

    def to_json(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "job_id": self.job_id, "role": self.role,
                "reward_wei": str(self.reward_wei), "deadline": self.deadline}


@dataclass(frozen=True)
class SeatState:
    """The verifier's latest seat (stakeOf.seat_plus_one - 1) and whether it still counts for committees."""
    index: int
    registered_at: int
    retired_at: int  # 0 while live

    @property
    def live(self) -> bool:
        return self.retired_at == 0

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "live": self.live, "registered_at": self.registered_at,
                "retired_at": self.retired_at}


@dataclass(frozen=True)
class StakeStateV2:
    role: str
    active_wei: int
    locked_wei: int  # bonds of open obligations (claims, approvals, challenges, juror commitments, heads)
    unbonding_wei: int
    unlock_block: int  # first block withdrawStake pays `unbonding_wei` (0 if nothing unbonds)
    seat: SeatState | None = None  # verifier only: None if never seated

    @property
    def unlocked_wei(self) -> int:
        return self.active_wei - self.locked_wei

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "active_wei": str(self.active_wei), "locked_wei": str(self.locked_wei),
                "unlocked_wei": str(self.unlocked_wei), "unbonding_wei": str(self.unbonding_wei),
                "unlock_block": self.unlock_block, "seat": self.seat.to_json() if self.seat else None}


@dataclass(frozen=True)
class BalanceV2:
    address: str
    block: int
    eth_wei: int
    stakes: list[StakeStateV2]
    claimable_wei: int  # creditOf: both roles' credits, paid out together by withdraw()
    seat_stake_wei: int  # a verifier stake of at least this holds a seat
    pending: list[PendingClaim] = field(default_factory=list)
    credited_total_wei: int = 0
    withdrawn_total_wei: int = 0
    zero_reason: str | None = None

    @property
    def pending_wei(self) -> int:
        return sum(p.reward_wei for p in self.pending)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address, "block": self.block, "ledger_version": 2, "eth_wei": str(self.eth_wei),
            "stakes": [s.to_json() for s in self.stakes], "claimable_wei": str(self.claimable_wei),
            "seat_stake_wei": str(self.seat_stake_wei), "pending_wei": str(self.pending_wei),
            "pending": [p.to_json() for p in self.pending], "credited_total_wei": str(self.credited_total_wei),
            "withdrawn_total_wei": str(self.withdrawn_total_wei), "zero_reason": self.zero_reason,
        }


def read_stake(ledger: LedgerV2, address: str, role: Role, block: int | str = "latest") -> StakeStateV2:
    info = ledger.stake(address, role, block=block)
    seat = None
    if role is Role.VERIFIER and info.seat_plus_one:
        s = ledger.seat(info.seat_plus_one - 1, block=block)
        seat = SeatState(info.seat_plus_one - 1, s.registered_at, s.retired_at)
    return StakeStateV2(role.name.lower(), info.active, info.locked, info.unbonding, info.unlock_block, seat)


def _pending(ledger: LedgerV2, history: list, block: int) -> list[PendingClaim]:
    """The worker's own claims and the claims it approved that are still Pending, at the job's price."""
    pending = []
    for entry in history:
        if entry.kind not in ("claim", "approval"):
            continue
        claim = ledger.claim(entry.claim_id, block=block)
        if claim.status is not ClaimStatus.PENDING:
            continue
        params = ledger.job_params(claim.job_id, block=block)
        worker = entry.kind == "claim"
        pending.append(PendingClaim(claim_id=entry.claim_id, job_id=claim.job_id,
                                    role="worker" if worker else "verifier",
                                    reward_wei=params.reward_per_claim if worker else params.approval_fee,
                                    deadline=claim.challenge_deadline))
    return pending


def zero_reason_v2(claimable: int, credited: int, withdrawn: int, pending: list[PendingClaim]) -> str | None:
    """Why nothing can be withdrawn right now."""
    if claimable > 0:
        return None
    reasons = []
    if credited > 0 and withdrawn >= credited:
        reasons.append("already withdrawn")
    if pending:
        last = max(p.deadline for p in pending)
        reasons.append(f"claims not yet final: {len(pending)} pending, settled after block {last}")
    return "; ".join(reasons) or "nothing accepted yet"


def read_balance_v2(ledger: LedgerV2, address: str, from_block: int) -> BalanceV2:
    """A consistent snapshot at the current block."""
    w3 = ledger.w3
    address = w3.to_checksum_address(address)
    block = w3.eth.block_number
    claimable = ledger.credit(address, block=block)
    history = address_history_v2(ledger, address, from_block, to_block=block)
    credited = sum(e.amount_wei for e in history if e.kind in ("reward", "fee", "slash-share"))
    withdrawn = sum(e.amount_wei for e in history if e.kind == "withdrawal")
    pending = _pending(ledger, history, block)
    return BalanceV2(
        address=address, block=block, eth_wei=int(w3.eth.get_balance(address, block)),
        stakes=[read_stake(ledger, address, role, block) for role in ROLES_V2],
        claimable_wei=claimable, seat_stake_wei=ledger.call("seatStake", block=block), pending=pending,
        credited_total_wei=credited, withdrawn_total_wei=withdrawn,
        zero_reason=zero_reason_v2(claimable, credited, withdrawn, pending),
    )
