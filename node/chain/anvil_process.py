"""Recognise a running anvil by its command line, so a pid file is only trusted when it still names one.

A pid from a file can outlive its process and be reused by any other program: it is only taken for the
devnet's anvil when that process's argv is anvil's with the devnet's --port or --state. Reads
/proc/<pid>/cmdline (Linux), else `ps` (macOS).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

PROC = Path("/proc")


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (a zombie still answers kill(0))."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return "State:\tZ" not in (PROC / str(pid) / "status").read_text()
    except OSError:
        return not PROC.is_dir()  # gone meanwhile on Linux; on macOS (no /proc) kill(0) is all there is


def cmdline(pid: int) -> list[str] | None:
    """The process's argv, or None if it is gone or unreadable."""
    if PROC.is_dir():
        try:
            raw = (PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            return None
        return [a.decode(errors="replace") for a in raw.split(b"\0") if a] or None
    done = subprocess.run(["ps", "-ww", "-o", "args=", "-p", str(pid)], capture_output=True, text=True)
    return done.stdout.split() if done.returncode == 0 and done.stdout.strip() else None


def _option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def is_devnet_anvil(pid: int, port: int | None, state: Path) -> bool:
    """pid runs anvil itself (not a wrapper, not a reused pid) with this devnet's --state file or --port."""
    args = cmdline(pid)
    if not args or Path(args[0]).name != "anvil" or not alive(pid):
        return False
    state_arg = _option(args, "--state")
    if state_arg is not None and Path(state_arg).resolve() == state.resolve():
        return True
    return port is not None and port != 0 and _option(args, "--port") == str(port)


def find_devnet_anvil(port: int | None, state: Path) -> int | None:
    """Scan every process for the devnet's anvil: for when its pid file was lost."""
    if PROC.is_dir():
        pids = [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]
    else:
        done = subprocess.run(["ps", "-ax", "-o", "pid="], capture_output=True, text=True)
        pids = [int(p) for p in done.stdout.split()] if done.returncode == 0 else []
    for pid in sorted(pids):
        if pid != os.getpid() and is_devnet_anvil(pid, port, state):
            return pid
    return None
