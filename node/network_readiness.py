"""Can a job's network settle claims now? The seats that exist against what its terms need.

A committee is drawn from the seats (verifier stakes of at least seatStake) that exist when a claim is
submitted; with fewer seats than the quorum, no claim can be accepted, and each one submitted expires and
costs its worker the expiry penalty, with nothing on chain saying why. Juries are drawn the same way. Pure:
the caller reads the seats and terms (node/commands/job.py; the worker before it submits).
"""
from __future__ import annotations

from dataclasses import dataclass

from node.wallet.amounts import format_eth


@dataclass(frozen=True)
class Readiness:
    seats: int  # seats eligible now (registered, not retired)
    committee_size: int
    quorum: int
    jury_size: int
    seat_stake_wei: int

    @property
    def can_accept(self) -> bool:
        return self.seats >= self.quorum

    def stall(self) -> str | None:
        """Why every claim would expire now, or None."""
        if self.can_accept:
            return None
        return (f"claims cannot be accepted: each needs {self.quorum} approvals from its committee, and only "
                f"{self.seats} verifier{'' if self.seats == 1 else 's'} hold{'s' if self.seats == 1 else ''} a seat "
                f"({self.quorum - self.seats} more must stake at least {format_eth(self.seat_stake_wei)} with "
                f"`gradchain wallet stake --role verifier`); a claim submitted before then expires and costs its "
                f"worker the expiry penalty")

    def warnings(self) -> list[str]:
        """Terms the network meets only in part (smaller committees or juries than the terms ask)."""
        out = []
        if self.can_accept and self.seats < self.committee_size:
            out.append(f"committees will have {self.seats} members, not {self.committee_size}: only {self.seats} "
                       f"seats exist, so fewer members replay each claim")
        if self.seats < self.jury_size:
            out.append(f"a dispute's jury needs {self.jury_size} seats outside the dispute; {self.seats} exist")
        return out

    def lines(self) -> list[str]:
        stall = self.stall()
        return ([f"STALLED: {stall}"] if stall else ["ready: claims can be drawn, approved and accepted"]) + \
            [f"warning: {w}" for w in self.warnings()]

    def as_json(self) -> dict:
        return {"seats": self.seats, "committee_size": self.committee_size, "quorum": self.quorum,
                "jury_size": self.jury_size, "seat_stake_wei": str(self.seat_stake_wei),
                "can_accept": self.can_accept, "stall": self.stall(), "warnings": self.warnings()}


def read_readiness(ledger, job_id: int, block: int | str = "latest") -> Readiness:
    """The job's terms and the seats eligible at `block` (one read of the registry)."""
    number = ledger.w3.eth.get_block(block)["number"] if isinstance(block, str) else block
    seats = sum(1 for s in ledger.seats(block=number)
                if s.registered_at <= number and (s.retired_at == 0 or s.retired_at > number))
    p = ledger.job_params(job_id, block=number)
    return Readiness(seats=seats, committee_size=p.committee_size, quorum=p.quorum, jury_size=p.jury_size,
                     seat_stake_wei=ledger.call("seatStake", block=number))
