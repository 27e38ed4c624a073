"""A small real file system for disk-full tests: a tmpfs mounted for one test (root only), and a filler file."""
from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def mounted_tmpfs(path: Path, size_bytes: int):
    """Mount a tmpfs of `size_bytes` at `path` for the duration; unmounted even when the test fails."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        # Lazy: a process the test started may still hold a file open for a moment after it was stopped.
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path, leave_bytes: int, name: str = "filler.bin") -> Path:
    """Write a file that leaves about `leave_bytes` free on `directory`'s file system (tmpfs counts pages)."""
    filler = directory / name
    want = shutil.disk_usage(directory).free - leave_bytes
    chunk = b"\xff" * (1 << 16)
    with open(filler, "wb") as out:
        while want > 0:
            out.write(chunk[:want])
            want -= len(chunk)
    return filler
