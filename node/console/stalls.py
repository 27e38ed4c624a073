"""Stall reports: when a node waits longer than it should, one line saying what it waits for and why, repeated
at most once a minute per cause. The diagnoses are pure functions of facts the node already holds."""
from __future__ import annotations

from .money import eth_text

REPEAT_S = 60.0


class StallLimiter:
    """Lets a cause's line through once per REPEAT_S; a cause that clears and returns is reported again."""

    def __init__(self, repeat_s: float = REPEAT_S) -> None:
        self.repeat_s = repeat_s
        self.last: dict[str, float] = {}

    def due(self, cause: str, now: float) -> bool:
        at = self.last.get(cause)
        if at is not None and now - at < self.repeat_s:
            return False
        self.last[cause] = now
        return True

    def clear(self, cause: str) -> None:
        self.last.pop(cause, None)


def seats_stall(seats: int, needed: int, seat_stake_wei: int | None, claim_id: int | None = None) -> str | None:
    """A committee of `needed` cannot be drawn from `seats` eligible verifier seats."""
    if seats >= needed:
        return None
    what = f"claim {claim_id} has no committee" if claim_id is not None else "no committee can be drawn for a claim"
    stake = f"; verifiers must stake ≥ {eth_text(seat_stake_wei)} to take a seat" if seat_stake_wei else ""
    return f"waiting: {what} — {seats} of {needed} seats filled{stake}"


def idle_verifier_stall(blocks_idle: int, submit_window: int, job_id: int, windows: int = 3) -> str | None:
    """No claim to verify for `windows` submit windows or more."""
    if submit_window <= 0 or blocks_idle < windows * submit_window:
        return None
    return (f"waiting: no claims to verify for {blocks_idle // submit_window} submit windows ({blocks_idle} blocks)"
            f" — are workers running on job {job_id}?")


def missed_window_stall(round_: int, reason: str | None) -> str:
    """A round's submit window passed with no claim sent."""
    why = f": {reason}" if reason else ""
    return f"waiting: the submit window of round {round_} passed with no claim sent{why}"


def peer_stall(what: str, error: str) -> str:
    """A peer (a worker's server, a relay, the chain) did not answer."""
    return f"waiting: {what} unreachable — {error}"
