"""Rates and countdowns for the live panel: steps per second and ETA of a claim's training, the chain's measured
block time, and the next window a role waits for. Pure: times are passed in."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Training:
    """One claim's training, from the worker's progress reports (a report per segment)."""

    round: int
    steps: int  # H
    started_at: float  # monotonic
    step: int = 0
    updated_at: float = 0.0
    finished: bool = False

    def advance(self, step: int, now: float) -> None:
        self.step, self.updated_at = step, now
        self.finished = step >= self.steps

    def steps_per_second(self) -> float | None:
        elapsed = self.updated_at - self.started_at
        return self.step / elapsed if self.step and elapsed > 0 else None

    def eta_seconds(self) -> float | None:
        speed = self.steps_per_second()
        return (self.steps - self.step) / speed if speed else None


def duration(seconds: float | None) -> str:
    """'2 s', '3 min 05 s', '1 h 02 min': a countdown a person reads at a glance."""
    if seconds is None:
        return "unknown"
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class BlockClock:
    """The chain's block time, measured from the block numbers the follower already read (no reads of its own):
    the rate over the samples of the last WINDOW_S seconds."""

    WINDOW_S = 120.0

    def __init__(self) -> None:
        self.samples: list[tuple[int, float]] = []  # (block, monotonic time first seen)

    def saw(self, block: int, at: float) -> None:
        if self.samples and block <= self.samples[-1][0]:
            return
        self.samples.append((block, at))
        while len(self.samples) > 2 and at - self.samples[1][1] > self.WINDOW_S:
            self.samples.pop(0)

    @property
    def block(self) -> int | None:
        return self.samples[-1][0] if self.samples else None

    def seconds_per_block(self) -> float | None:
        if len(self.samples) < 2:
            return None
        (b0, t0), (b1, t1) = self.samples[0], self.samples[-1]
        return (t1 - t0) / (b1 - b0) if b1 > b0 and t1 > t0 else None

    def seconds_until(self, block: int) -> float | None:
        spb, now = self.seconds_per_block(), self.block
        return None if spb is None or now is None else max(0, block - now) * spb


@dataclass(frozen=True)
class Window:
    """A window edge a role waits for: what happens at `block`."""

    what: str  # 'submit window of round 3 closes'
    block: int


def next_window(block: int, windows: list[Window]) -> Window | None:
    """The soonest edge still ahead of `block`."""
    ahead = [w for w in windows if w.block > block]
    return min(ahead, key=lambda w: w.block) if ahead else None


def window_text(window: Window | None, clock: BlockClock) -> str:
    """'submit window of round 3 closes in 24 blocks (~6 s)'."""
    if window is None:
        return "no window pending"
    blocks = window.block - (clock.block or window.block)
    seconds = clock.seconds_until(window.block)
    eta = f"~{duration(seconds)}" if seconds is not None else "block time not measured yet"
    return f"{window.what} in {blocks} blocks ({eta}), at block {window.block}"
