"""A full disk: recognised wherever it shows up, and reported as one DiskFull naming the path and the space.

A node that runs out of space cannot make progress by retrying (every write fails the same way, and its log
would fill what is left), so the run loop stops on DiskFull and `node run` exits with EXIT_DISK_FULL after one
line. Nothing is lost: artifacts are written to a temporary file and renamed, SQLite rolls back a transaction
it could not write, and the outbox resends what was signed when the node restarts with space.
"""
from __future__ import annotations

import errno
import math
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

EXIT_DISK_FULL = 74  # sysexits.h EX_IOERR: the node stopped because a write found no space (`node run` docs)
NO_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT)  # a full file system, or the user's quota on it
SQLITE_FULL_TEXT = "database or disk is full"


def format_size(n: int, up: bool = False) -> str:
    """245000 -> '245 kB', 1500000 -> '1.5 MB'. up=True rounds up: for an amount that is needed "at least"."""
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= factor:
            value, digits = n / factor, (0 if n >= 10 * factor else 1)
            scale = 10**digits
            value = (math.ceil(value * scale) if up else round(value * scale)) / scale
            return f"{value:.{digits}f} {unit}"
    return f"{n} B"


class DiskFull(Exception):
    """`path` has no room: `needed` bytes more were wanted (None: unknown, a write failed) and `free` are left."""

    def __init__(self, path: Path | str, needed: int | None, free: int):
        self.path, self.needed, self.free = Path(path), needed, free
        super().__init__(str(self))

    def __str__(self) -> str:
        want = f"needs {format_size(self.needed, up=True)} more" if self.needed else "has no space left"
        return (f"disk full: {self.path} {want} ({format_size(self.free)} free); "
                "free some space and restart the node")


def is_disk_full(exc: BaseException | None) -> bool:
    """ENOSPC/EDQUOT, SQLite's "database or disk is full", or DiskFull, here or anywhere in the cause chain."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DiskFull):
            return True
        if isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS:
            return True
        if isinstance(exc, sqlite3.OperationalError) and (
                getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or SQLITE_FULL_TEXT in str(exc)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def free_bytes(path: Path | str) -> int:
    """Bytes free to this user on the file system holding `path` (or its nearest existing parent)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def as_disk_full(exc: BaseException, fallback: Path | str) -> DiskFull:
    """The DiskFull for a disk-full error: the file the OS named if it did, else `fallback` (a write() on an
    open file names none); SQLite never names its file, so its errors name `fallback` too."""
    while exc is not None and not isinstance(exc, DiskFull) and not (
            isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS):
        exc = exc.__cause__ or exc.__context__
    if isinstance(exc, DiskFull):
        return exc
    named = getattr(exc, "filename", None)
    path = Path(named).parent if named else Path(fallback)  # the directory: the file may be half written
    return DiskFull(path, None, free_bytes(path))


def check_free(path: Path | str, needed: int) -> None:
    """Raise DiskFull before writing when the file system holding `path` has less than `needed` bytes free."""
    free = free_bytes(path)
    if free < needed:
        raise DiskFull(path, needed, free)


@contextmanager
def disk_full_as_error(fallback: Path | str) -> Iterator[None]:
    """Inside: any disk-full error (OSError, SQLite) leaves as DiskFull naming its path (else `fallback`)."""
    try:
        yield
    except DiskFull:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise as_disk_full(exc, fallback) from exc
        raise
