"""A throw-away copy of this checkout to run the real scripts in, with the shared .venv and node_modules linked.

The copy holds the files git would commit (tracked, plus untracked ones not ignored), so scripts see exactly
what CI would check out, plus forge's build output and cache: forge then compiles only what a test planted
(a full build of both ledgers takes minutes on 2 cores, and the tests are about exit statuses, not compiling).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = (".venv", "node_modules")
BUILD_OUTPUT = ("contracts/out", "contracts/cache")


def copy_checkout(dest: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = REPO / rel
        if rel in SHARED or src.is_symlink() or not src.is_file():
            continue  # the shared links are made below; a deleted-but-tracked file has nothing to copy
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)  # keeps the executable bit
    for name in SHARED:
        os.symlink((REPO / name).resolve(), dest / name)
    for name in BUILD_OUTPUT:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name, symlinks=True)
    return dest


def snapshot(directory: Path) -> dict[str, int]:
    """Names and mtimes of a directory's entries: a pip or npm install there changes them."""
    return {entry.name: entry.stat(follow_symlinks=False).st_mtime_ns for entry in os.scandir(directory)}


def site_packages() -> Path:
    found = sorted((REPO / ".venv").resolve().glob("lib/python*/site-packages"))
    assert found, f"no site-packages under {(REPO / '.venv').resolve()}: run scripts/setup.sh"
    return found[0]


def run_script(copy: Path, script: str, timeout_s: float = 240) -> subprocess.CompletedProcess:
    """`bash SCRIPT` in the copy, stdout and stderr together, with the script's own exit status.

    Its own session, so that on a time-out everything it started (forge, anvil, nodes) goes with it."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    env.pop("FOUNDRY_PROFILE", None)  # the scripts choose their profile
    process = subprocess.Popen(["bash", script], cwd=copy, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, out)
