"""Daily time windows during which a worker may train, e.g. "09:00-12:00,22:00-06:00" (a window may wrap midnight)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Window:
    start: time
    end: time  # exclusive; end <= start means the window runs past midnight

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # wraps midnight (start == end: all day)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Schedule:
    """No windows: any time. Otherwise training may run only inside one of them (local time of the clock)."""

    windows: tuple[Window, ...] = ()

    @classmethod
    def parse(cls, text: str | list[str] | None) -> "Schedule":
        if not text:
            return cls()
        parts = text if isinstance(text, list) else text.split(",")
        return cls(tuple(_parse_window(p) for p in parts if p.strip()))

    def allows(self, now: datetime) -> bool:
        """May training run at `now`?"""
        return not self.windows or any(w.contains(now.time()) for w in self.windows)

    def __str__(self) -> str:
        return ",".join(str(w) for w in self.windows) or "any time"


def _parse_window(text: str) -> Window:
    match = WINDOW.match(text)
    if not match:
        raise ValueError(f"schedule window {text.strip()!r} is not HH:MM-HH:MM (e.g. 22:00-06:00)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60) or (h2 == 24 and m2 != 0):
        raise ValueError(f"schedule window {text.strip()!r} has an hour or minute out of range")
    return Window(time(h1, m1), time(0, 0) if h2 == 24 else time(h2, m2))
