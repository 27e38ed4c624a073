"""When training may run: the schedule, the idle monitor and any other hold, checked before a claim and between
its segments; it also keeps the books of time spent working and paused.

A pause blocks the training thread at a segment boundary (prove_claim's progress callback), with the model and
optimizer still in memory, so work resumes from exactly where it stopped. While blocked, `still_useful()` is
asked every few seconds: once it says no (the round's submission window has passed, the node is stopping),
the claim is abandoned with ClaimAbandoned, before anything was submitted.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Callable

from .idle import IdleMonitor
from .schedule import Schedule

WORKING, PAUSED, WAITING = "working", "paused", "waiting"  # waiting: nothing to do (no open round)


class ClaimAbandoned(RuntimeError):
    """The claim in progress was dropped (its window passed or the node is stopping); nothing was submitted."""


class WorkGate:
    def __init__(self, schedule: Schedule = Schedule(), idle: IdleMonitor | None = None,
                 clock: Callable[[], datetime] = datetime.now, stopping: threading.Event | None = None,
                 poll_s: float = 0.25, usefulness_every_s: float = 1.0):
        self.schedule = schedule
        self.idle = idle
        self.clock = clock
        self.stopping = stopping or threading.Event()
        self.poll_s = poll_s
        self.usefulness_every_s = usefulness_every_s
        self.holds: dict[str, str] = {}  # other reasons not to train (e.g. the disk cap), by name
        self.totals = {WORKING: 0.0, PAUSED: 0.0, WAITING: 0.0}
        self.activity, self.reason = WAITING, ""
        self.paused_since: float | None = None  # wall time, for /status
        self.pauses = 0
        self.last_pause_latency_s: float | None = None  # busy sample -> training actually stopped
        self._since = time.monotonic()
        self._useful_checked = 0.0
        self._lock = threading.Lock()

    # -- the decision ------------------------------------------------------------------------------------------
    def blocked_reason(self) -> str | None:
        """Why training may not run now, or None if it may."""
        if self.holds:
            return "; ".join(self.holds.values())
        if not self.schedule.allows(self.clock()):
            return f"outside the schedule ({self.schedule})"
        if self.idle is not None and not self.idle.idle():
            last = self.idle.last
            seen = f"other processes at {last.others_percent:.0f}% CPU" if last else "measuring CPU use"
            return (f"waiting for an idle machine ({seen}; needs under {self.idle.threshold:g}% "
                    f"for {self.idle.grace_s:g} s)")
        return None

    # -- the books -----------------------------------------------------------------------------------------------
    def enter(self, activity: str, reason: str = "") -> None:
        with self._lock:
            now = time.monotonic()
            self.totals[self.activity] += now - self._since
            self._since = now
            if activity == PAUSED and self.activity != PAUSED:
                self.paused_since = time.time()
                self.pauses += 1
            elif activity != PAUSED:
                self.paused_since = None
            self.activity, self.reason = activity, reason

    def seconds(self, activity: str) -> float:
        with self._lock:
            extra = time.monotonic() - self._since if self.activity == activity else 0.0
            return self.totals[activity] + extra

    # -- the two places training asks ------------------------------------------------------------------------------
    def may_start(self) -> bool:
        """Before a claim: True (and now working) if training may start, else recorded as paused."""
        reason = self.blocked_reason()
        self.enter(PAUSED if reason else WORKING, reason or "")
        return reason is None

    def between_segments(self, still_useful: Callable[[], bool]) -> None:
        """Between two segments of a claim: return at once, or block while training may not run.

        Raises ClaimAbandoned when the node stops or `still_useful()` turns false (asked about once a second).
        """
        self._check_useful(still_useful)
        reason = self.blocked_reason()
        if reason is None:
            return
        busy_at = self.idle.busy_since() if self.idle else None
        if busy_at is not None:
            self.last_pause_latency_s = time.monotonic() - busy_at
        self.enter(PAUSED, reason)
        try:
            while reason is not None:
                self._check_useful(still_useful)
                if self.idle is not None:
                    self.idle.wait_for_change(self.poll_s)
                else:
                    self.stopping.wait(self.poll_s)
                reason = self.blocked_reason()
                if reason is not None and reason != self.reason:
                    self.enter(PAUSED, reason)
        finally:
            self.enter(WORKING)

    def _check_useful(self, still_useful: Callable[[], bool]) -> None:
        if self.stopping.is_set():
            raise ClaimAbandoned("the node is stopping")
        now = time.monotonic()
        if now - self._useful_checked < self.usefulness_every_s:
            return
        self._useful_checked = now
        try:
            useful = still_useful()
        except Exception:  # the chain may be unreachable for a moment: keep the work, ask again later
            return
        if not useful:
            raise ClaimAbandoned("the round's submission window has passed")
