"""A worker's preferences: command-line flags over HOME/worker.toml over defaults, each checked with a readable error.

HOME/worker.toml (every key optional):

    [worker]
    yes = true                  # consent recorded for unattended runs (same as --yes)
    max_threads = 2             # torch CPU threads
    device = "cpu"              # or "cuda"
    max_disk = "2GB"            # cap on this node's artifact directory
    schedule = "22:00-07:00"    # or a list of windows
    only_when_idle = true
    idle_threshold = 25         # percent of all cores that other processes may use while we still count as idle
    idle_grace = 60             # seconds of idleness before training starts or resumes
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..diskspace import format_size  # noqa: F401  (one formatter for every size shown; imported from here too)
from .schedule import Schedule

CONFIG_NAME = "worker.toml"
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9, "t": 10**12,
         "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "ki": 2**10, "mi": 2**20, "gi": 2**30}
DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class WorkerSettings:
    yes: bool = False  # consent given for unattended use
    max_threads: int | None = None  # None: torch's default (every core)
    device: str = "cpu"
    max_disk_bytes: int | None = None  # None: no cap
    schedule: Schedule = Schedule()
    only_when_idle: bool = False
    idle_threshold: float = 25.0  # percent of total CPU that other processes may use
    idle_grace_s: float = 60.0  # the machine must stay idle this long before training (re)starts
    source: str = "defaults"  # where the values came from, for the consent summary

    def __post_init__(self) -> None:
        if self.max_threads is not None and self.max_threads < 1:
            raise ValueError(f"max_threads must be at least 1, got {self.max_threads}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.max_disk_bytes is not None and self.max_disk_bytes < 0:
            raise ValueError(f"max_disk must be >= 0, got {self.max_disk_bytes}")
        if not 0 < self.idle_threshold <= 100:
            raise ValueError(f"idle_threshold is a percentage in (0, 100], got {self.idle_threshold}")
        if self.idle_grace_s < 0:
            raise ValueError(f"idle_grace must be >= 0 seconds, got {self.idle_grace_s}")

    def caps_text(self) -> str:
        parts = [f"threads: {self.max_threads or 'all'}", f"device: {self.device}",
                 f"disk: {format_size(self.max_disk_bytes) if self.max_disk_bytes is not None else 'no cap'}",
                 f"schedule: {self.schedule}"]
        if self.only_when_idle:
            parts.append(f"only when idle (other processes under {self.idle_threshold:g}% CPU "
                         f"for {self.idle_grace_s:g} s)")
        return "; ".join(parts)

    def to_json(self) -> dict:
        return {"max_threads": self.max_threads, "device": self.device, "max_disk_bytes": self.max_disk_bytes,
                "schedule": str(self.schedule), "only_when_idle": self.only_when_idle,
                "idle_threshold_percent": self.idle_threshold, "idle_grace_s": self.idle_grace_s,
                "source": self.source}


def parse_size(text: str | int) -> int:
    """'500MB', '2GiB', '1.5g', 1000 -> bytes."""
    if isinstance(text, int):
        return text
    match = SIZE.match(str(text))
    unit = (match.group(2) or "").lower() if match else None
    if not match or unit not in UNITS:
        raise ValueError(f"size {text!r} is not a number with an optional unit (e.g. 500MB, 2GiB)")
    return int(float(match.group(1)) * UNITS[unit])


FILE_KEYS = {"yes": "yes", "max_threads": "max_threads", "device": "device", "max_disk": "max_disk_bytes",
             "schedule": "schedule", "only_when_idle": "only_when_idle", "idle_threshold": "idle_threshold",
             "idle_grace": "idle_grace_s"}


def config_path(home: Path) -> Path:
    return home / CONFIG_NAME


def _from_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    section = data.get("worker", {})
    if not isinstance(section, dict):
        raise ValueError(f"{path}: [worker] must be a table")
    unknown = sorted(set(section) - set(FILE_KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown [worker] key(s) {', '.join(unknown)}; known: {', '.join(FILE_KEYS)}")
    return {FILE_KEYS[k]: v for k, v in section.items()}


def load_settings(home: Path, **flags: Any) -> WorkerSettings:
    """Settings for a worker run: flags that are not None win over HOME/worker.toml, which wins over defaults."""
    path = config_path(home)
    values = _from_file(path)
    given = {k: v for k, v in flags.items() if v is not None}
    unknown = sorted(set(given) - {f.name for f in fields(WorkerSettings)})
    if unknown:
        raise TypeError(f"unknown worker setting(s): {', '.join(unknown)}")
    values.update(given)
    source = " + ".join(s for s, used in ((str(path), path.is_file()), ("flags", bool(given))) if used) or "defaults"
    try:
        if "max_disk_bytes" in values:
            values["max_disk_bytes"] = parse_size(values["max_disk_bytes"])
        if "schedule" in values and not isinstance(values["schedule"], Schedule):
            values["schedule"] = Schedule.parse(values["schedule"])
        for key, kind in (("max_threads", int), ("idle_threshold", float), ("idle_grace_s", float)):
            if key in values:
                values[key] = kind(values[key])
        for key in ("yes", "only_when_idle"):
            if key in values and not isinstance(values[key], bool):
                raise ValueError(f"{key} must be true or false, got {values[key]!r}")
        return replace(WorkerSettings(), **values, source=source)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"worker settings ({source}): {exc}") from None
