"""Block times as people read them: "2026-12-03 06:12:09 UTC" and "3 min ago" (never epoch seconds)."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from html import escape


def utc(timestamp: int | float) -> str:
    return datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(timestamp: int | float, now: float | None = None) -> str:
    """How long before `now`; a block stamped a little ahead of this machine's clock (anvil mines ahead when
    asked to mine many blocks at once) reads "just now" rather than a negative age."""
    seconds = int((time.time() if now is None else now) - timestamp)
    if seconds < 10:
        return "just now"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if unit == 'day' and n > 1 else ''} ago"
    return f"{seconds} s ago"


def when(timestamp: int | float | None) -> str:
    """Markup: the UTC date-time, its age beside it (both text; the machine-readable time in datetime=)."""
    if timestamp is None:
        return '<span class="none">time not read</span>'
    iso = datetime.fromtimestamp(int(timestamp), timezone.utc).isoformat()
    return (f'<time datetime="{escape(iso)}">{escape(utc(timestamp))}</time> '
            f'<span class="ago">{escape(ago(timestamp))}</span>')
