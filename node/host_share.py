"""The nodes running on this host, and each one's share of its cores.

Every running node writes HOME/run/PID.json (role, address, job, URL) when it starts serving and removes it when it
stops; an entry whose process is gone (killed) is skipped and cleaned up. Two uses:

- Threads. A node's torch pool defaults to its share of the host, cores // nodes running under this home (at
  least 1), re-read every few seconds as nodes come and go, and capped by --max-threads. Torch's default (every
  core, in every process) oversubscribes a host that runs several nodes: 12 workers with 2 threads each on 2
  cores spin instead of training (issue 15's measurement). Results do not depend on it (prover/determinism.py).
- Discovery. `node status` without --url asks the node running here (or lists them when there are several).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

REFRESH_S = 5.0


def run_dir(home: Path) -> Path:
    return Path(home) / "run"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


class Registration:
    """This process's entry in HOME/run while it serves."""

    def __init__(self, home: Path, info: dict):
        self.path = run_dir(home) / f"{os.getpid()}.json"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**info, "pid": os.getpid(), "started_at": time.time()}))
        tmp.replace(self.path)  # readers never see half a file

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def running_nodes(home: Path) -> list[dict]:
    """The nodes serving under `home`, oldest first (entries of dead processes are removed on the way)."""
    found = []
    directory = run_dir(home)
    if not directory.is_dir():
        return found
    for path in directory.glob("*.json"):
        try:
            info = json.loads(path.read_text())
            pid = int(info["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written or removed right now, or not ours
        if _alive(pid):
            found.append(info)
        else:
            path.unlink(missing_ok=True)
    return sorted(found, key=lambda i: i.get("started_at", 0))


def thread_share(cores: int, nodes: int, cap: int | None) -> int:
    """Torch threads for one of `nodes` nodes on `cores` cores: an equal share, at least 1, at most `cap`."""
    share = max(1, cores // max(1, nodes))
    return min(share, cap) if cap is not None else share


class ThreadShare:
    """Keeps this process's torch pool at its share of the host as nodes start and stop."""

    def __init__(self, home: Path, cap: int | None, cores: int | None = None):
        self.home, self.cap = Path(home), cap
        if cores is None:  # the cores this process may run on (a container's or taskset's limit included)
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.cores = cores
        self.threads: int | None = None
        self._checked = 0.0

    def refresh(self, force: bool = False) -> int:
        import torch

        now = time.monotonic()
        if not force and self.threads is not None and now - self._checked < REFRESH_S:
            return self.threads
        self._checked = now
        threads = thread_share(self.cores, max(1, len(running_nodes(self.home))), self.cap)
        if threads != self.threads:
            torch.set_num_threads(threads)
            self.threads = threads
        return threads
