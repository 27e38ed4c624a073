"""A node's local state in SQLite (sqlite-utils): what it has seen on chain, decided, and means to send.

The chain is the truth; these tables are a cache of its events plus the node's own work (verdicts, outbox).
Every write is an upsert keyed by on-chain ids, so replaying a block range after a crash changes nothing.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import sqlite_utils

CURSOR_KEY = "last_block"

TABLES: dict[str, tuple[dict[str, type], str | tuple[str, ...]]] = {
    "meta": ({"key": str, "value": str}, "key"),
    "jobs": ({"job_id": int, "owner": str, "spec_hash": str, "genesis_head": str, "head": str, "round": int,
              "escrow": str, "created_block": int}, "job_id"),
    "rounds": ({"job_id": int, "round": int, "head": str, "start_block": int}, ("job_id", "round")),
    "claims": ({"claim_id": int, "job_id": int, "round": int, "worker": str, "base": str, "result": str,
                "transcript_root": str, "steps": int, "artifact_uri": str, "submit_block": int, "status": str,
                "approvals": int, "rejections": int, "seat_count": int, "dispute_id": int}, "claim_id"),
    "proposals": ({"proposal_id": int, "job_id": int, "round": int, "new_head": str, "proposer": str,
                   "status": str, "block": int, "parent": str, "dispute_id": int}, "proposal_id"),
    # node/events_v2.py: the seat registry, approvals, challenges, disputes and their jurors.
    "seats": ({"seat_index": int, "account": str, "registered_at": int, "retired_at": int}, "seat_index"),
    "approvals": ({"claim_id": int, "member": str, "seat_index": int, "position": int, "block": int},
                  ("claim_id", "member")),
    "challenges": ({"dispute_id": int, "claim_id": int, "challenger": str, "segments": str, "approvers": str,
                    "draw_indices": str, "block": int}, ("dispute_id", "challenger")),
    "disputes": ({"dispute_id": int, "kind": str, "subject_id": int, "job_id": int, "open_block": int,
                  "seat_count": int, "status": str, "attempt": int, "attempt_start": int, "faulty_mask": str,
                  "reveals": int}, "dispute_id"),
    "jurors": ({"dispute_id": int, "attempt": int, "juror": str, "commitment": str, "verdicts": str,
                "revealed": int}, ("dispute_id", "attempt", "juror")),
    # A juror's own verdict and salt, written before its commitment is signed: after a crash it must reveal
    # exactly what it committed. Not derived from events, so a rollback keeps it.
    "juror_secrets": ({"dispute_id": int, "attempt": int, "verdicts": str, "salt": str, "reason": str,
                       "decided_at": float}, ("dispute_id", "attempt")),
    # An aggregator's inbox of members' EIP-712 approval signatures (POST /relay/approvals), unchecked until its
    # role loop checks them against the chain (node/roles/v2/relay_batch.py). Not derived from events.
    "relay_inbox": ({"claim_id": int, "signature": str, "received_at": float}, ("claim_id", "signature")),
    # seed: the claim's sampling seed the verdict was taken under; a reorg that changes the seed voids it.
    "verdicts": ({"kind": str, "subject_id": int, "decision": str, "reason": str, "decided_at": float,
                  "seed": str}, ("kind", "subject_id")),
    # block / block_hash: where the transaction was mined, so a rewound chain shows which rows it lost.
    "outbox": ({"key": str, "function": str, "sender": str, "nonce": int, "tx_hash": str, "raw": str,
                "status": str, "error": str, "created_at": float, "updated_at": float, "block": int,
                "block_hash": str}, "key"),
    "artifacts": ({"id": str, "kind": str, "size": int, "created_at": float, "job_id": int, "round": int},
                  "id"),
    "events": ({"block": int, "log_index": int, "name": str, "args": str, "tx_hash": str},
               ("block", "log_index")),
    "work_log": ({"at": float, "event": str, "detail": str}, "at"),
    # Hashes of blocks the follower processed (page ends and blocks with events): the chain must still hold
    # them, or it went back and the node rolls back to the newest one it still holds (node/reorg.py).
    "blocks": ({"number": int, "hash": str, "has_events": int}, "number"),
}

# The tables rebuilt from `events` after a reorg: everything the follower derives from chain events.
DERIVED_TABLES = ("jobs", "rounds", "claims", "proposals", "seats", "approvals", "challenges", "disputes",
                  "jurors")


class NodeState:
    """The node's SQLite database (one file per node)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        # Called with (event, detail) after each work-log entry is written (node/console/: a line per event).
        self.log_listeners: list = []
        # WAL lets the HTTP server's threads read while the role loop writes.
        self.db.execute("PRAGMA journal_mode=WAL")
        # One transaction for the whole schema: one commit writes each page once, where a commit per table
        # rewrote the schema page into the WAL every time (about 250 kB: a node on a nearly full disk could not
        # even open its database).
        with self.db.conn:
            self.db.execute("BEGIN")  # Python's sqlite3 runs DDL in autocommit mode unless a transaction is open
            for name, (columns, pk) in TABLES.items():
                if not self.db[name].exists():
                    self.db[name].create(columns, pk=pk)
                else:  # a database from an older version: add the columns it lacks (all nullable)
                    have = self.db[name].columns_dict
                    for column, kind in columns.items():
                        if column not in have:
                            self.db[name].add_column(column, kind)
            self.db["claims"].create_index(["job_id", "round"], if_not_exists=True)
            self.db["outbox"].create_index(["status"], if_not_exists=True)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection: the role loop and the HTTP server's threads never share one."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite_utils.Database(sqlite3.connect(self.path, timeout=30))
            db.execute("PRAGMA synchronous=FULL")
            self._local.db = db
        return db

    # -- cursor --------------------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        try:
            return self.db["meta"].get(key)["value"]
        except sqlite_utils.db.NotFoundError:
            return default

    def set_meta(self, key: str, value: Any) -> None:
        self.db["meta"].upsert({"key": key, "value": str(value)}, pk="key")

    def last_block(self, default: int) -> int:
        return int(self.get_meta(CURSOR_KEY, str(default)))

    # -- generic helpers -------------------------------------------------------------------------------------
    def upsert(self, table: str, row: dict) -> None:
        self.db[table].upsert(row, pk=TABLES[table][1], alter=False)

    def rows(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        return [dict(r) for r in self.db.query(sql, params)]

    def one(self, sql: str, params: tuple | dict = ()) -> dict | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def log(self, event: str, **detail: Any) -> None:
        self.db["work_log"].insert({"at": time.time(), "event": event, "detail": json.dumps(detail, default=str)},
                                   replace=True)
        for listener in self.log_listeners:
            listener(event, detail)
