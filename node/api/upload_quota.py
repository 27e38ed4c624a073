"""How many bytes each peer may store on this node: a tally in the node's SQLite, plus bytes in flight.

Bytes are reserved while a body streams in (so two concurrent uploads cannot both fit the same remainder),
charged when the artifact is newly written, and released otherwise. The tally survives restarts.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..state import NodeState
from .upload_auth import UploadRefused

TALLY_TABLE = "upload_quota"


@dataclass
class UploadQuota:
    state: NodeState
    quota_bytes: int
    _in_flight: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.quota_bytes <= 0:
            raise ValueError(f"upload quota must be a positive size, got {self.quota_bytes} bytes")
        if not self.state.db[TALLY_TABLE].exists():
            self.state.db[TALLY_TABLE].create({"peer": str, "stored_bytes": int}, pk="peer")

    def used(self, peer: str) -> int:
        row = self.state.one(f"SELECT stored_bytes FROM {TALLY_TABLE} WHERE peer = ?", (peer,))
        return row["stored_bytes"] if row else 0

    def reserve(self, peer: str, size: int, artifact_id: str) -> None:
        """Hold `size` more bytes for `peer`'s upload in progress, or UploadRefused (429) if they do not fit."""
        with self._lock:
            used, held = self.used(peer), self._in_flight.get(peer, 0)
            if used + held + size > self.quota_bytes:
                raise UploadRefused(429, f"upload of {artifact_id} by {peer} exceeds its quota of "
                                         f"{self.quota_bytes} bytes: {used} stored, {held} in other uploads, "
                                         f"{size} more asked")
            self._in_flight[peer] = held + size

    def release(self, peer: str, size: int) -> None:
        with self._lock:
            self._in_flight[peer] = self._in_flight.get(peer, 0) - size

    def charge(self, peer: str, size: int) -> None:
        """Turn `size` reserved bytes into stored bytes, on disk before the lock is let go."""
        with self._lock:
            with self.state.db.atomic():
                self.state.db.execute(
                    f"INSERT INTO {TALLY_TABLE} (peer, stored_bytes) VALUES (?, ?) "
                    "ON CONFLICT(peer) DO UPDATE SET stored_bytes = stored_bytes + excluded.stored_bytes",
                    [peer, size])
            self._in_flight[peer] = self._in_flight.get(peer, 0) - size
