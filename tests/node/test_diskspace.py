"""node/diskspace.py on a real, really full file system: a tmpfs the test fills up.

A write that hits ENOSPC, and SQLite's "database or disk is full", both come out as one DiskFull naming the
directory and the space left; the free-space check refuses before writing.
"""
from __future__ import annotations

import errno
import sqlite3

import pytest

from node.artifact_store import ArtifactStore
from node.diskspace import DiskFull, check_free, disk_full_as_error, format_size, free_bytes, is_disk_full

from tmpfs import fill, mounted_tmpfs

SIZE = 1 << 20  # 1 MiB


@pytest.fixture
def small_disk(tmp_path):
    with mounted_tmpfs(tmp_path / "disk", SIZE) as path:
        yield path


def test_a_write_hitting_enospc_becomes_disk_full_naming_the_directory(small_disk):
    store = ArtifactStore(small_disk / "artifacts")
    fill(small_disk, 8 * 1024)
    with pytest.raises(OSError) as raw:  # the real error, as the OS reports it
        store.put("blob", b"x" * 64 * 1024)
    assert raw.value.errno == errno.ENOSPC and is_disk_full(raw.value)

    with pytest.raises(DiskFull) as caught, disk_full_as_error(small_disk / "artifacts"):
        store.put("blob", b"y" * 64 * 1024)
    full = caught.value
    assert full.path == small_disk / "artifacts" and full.free < 8 * 1024 + 4096
    message = str(full)
    assert message.startswith(f"disk full: {small_disk / 'artifacts'} has no space left (")
    assert message.endswith(" free); free some space and restart the node") and "\n" not in message
    assert not [p for p in (small_disk / "artifacts").iterdir()], "a half-written artifact was left behind"


def test_sqlite_disk_full_is_recognised_and_named(small_disk):
    db = sqlite3.connect(small_disk / "node.db")
    db.execute("create table t (x blob)")
    db.commit()
    fill(small_disk, 0)
    with pytest.raises(DiskFull) as caught, disk_full_as_error(small_disk):
        for _ in range(64):
            db.execute("insert into t values (?)", (b"z" * 16384,))
            db.commit()
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert caught.value.path == small_disk
    db.close()


def test_free_space_check_refuses_before_writing_with_needed_and_free(small_disk):
    fill(small_disk, 100 * 1000)
    free = free_bytes(small_disk)
    check_free(small_disk, free)  # exactly what is free: fine
    with pytest.raises(DiskFull) as caught:
        check_free(small_disk, 245_001)
    # "needs" rounds up: 245,001 bytes are more than 245 kB
    assert str(caught.value) == (f"disk full: {small_disk} needs 246 kB more ({format_size(free)} free); "
                                 "free some space and restart the node")
    assert list(small_disk.iterdir()) == [small_disk / "filler.bin"]


def test_other_errors_pass_through_unchanged(tmp_path):
    with pytest.raises(PermissionError), disk_full_as_error(tmp_path):
        raise PermissionError(errno.EACCES, "denied", str(tmp_path))
    assert not is_disk_full(sqlite3.OperationalError("no such table: t"))


def test_sizes_read_like_a_person_wrote_them():
    assert [format_size(n) for n in (512, 12_000, 245_000, 1_500_000, 3 * 10**9)] == \
        ["512 B", "12 kB", "245 kB", "1.5 MB", "3.0 GB"]
    assert format_size(245_001, up=True) == "246 kB" and format_size(245_001) == "245 kB"
