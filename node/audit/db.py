"""The audit database (sqlite-utils): a raw, resumable log of what the chain said, and tables derived from it.

Raw tables (written page by page while reading the chain; never rewritten):
    meta          chain id, ledger address, deployment block: a database belongs to one deployment
    cursor        the last block whose events are all stored, and its hash (a reset chain is detected)
    events        every ledger event, decoded, args as JSON (bytes as 0x-hex)
    blocks        block hashes the audit needs (claim and jury seeds)

Derived tables (dropped and rebuilt from `events` on every run): node/audit/v2/store.py; and the last run's
results: checks.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

SCHEMA_VERSION = "1"

RAW_TABLES: dict[str, dict] = {
    "meta": {"columns": {"key": str, "value": str}, "pk": "key"},
    "cursor": {"columns": {"name": str, "block": int, "block_hash": str, "updated_at": float}, "pk": "name"},
    "events": {"columns": {"block": int, "log_index": int, "tx_hash": str, "name": str, "args": str},
               "pk": ("block", "log_index")},
    "blocks": {"columns": {"number": int, "hash": str}, "pk": "number"},
}

CHECKS_TABLE = {"columns": {"name": str, "status": str, "summary": str, "evidence": str, "position": int},
                "pk": "name"}
# Wei amounts are stored as decimal TEXT: they exceed SQLite's 64-bit integers in general.


class AuditDbError(Exception):
    """The database cannot be used for this audit (another deployment, a newer schema)."""


def open_db(path: Path) -> sqlite_utils.Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    for name, spec in RAW_TABLES.items():
        if not db[name].exists():
            db[name].create(spec["columns"], pk=spec["pk"])
    db["events"].create_index(["name"], if_not_exists=True)
    if not db["checks"].exists():  # exists from the start, empty until a run has judged something
        db["checks"].create(CHECKS_TABLE["columns"], pk=CHECKS_TABLE["pk"])
    return db


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    rows = list(db.query("select value from meta where key = ?", [key]))
    return rows[0]["value"] if rows else None


def bind_deployment(db: sqlite_utils.Database, chain_id: int, address: str, deployment_block: int) -> None:
    """Record which deployment this database audits; refuse to mix two deployments in one file."""
    wanted = {"schema_version": SCHEMA_VERSION, "chain_id": str(chain_id), "address": address.lower(),
              "deployment_block": str(deployment_block)}
    stored = {k: get_meta(db, k) for k in wanted}
    if all(v is None for v in stored.values()):
        with db.atomic():
            db["meta"].insert_all([{"key": k, "value": v} for k, v in wanted.items()], pk="key", replace=True)
        return
    for key, value in wanted.items():
        if stored[key] != value:
            raise AuditDbError(f"the audit database was built for {key} {stored[key]}, this audit is for "
                               f"{value}: pass another --db (or delete the file to start over)")


def cursor(db: sqlite_utils.Database) -> dict | None:
    rows = list(db.query("select * from cursor where name = 'events'"))
    return rows[0] if rows else None


def to_json(value: Any) -> Any:
    """Event args as plain JSON: bytes as 0x-hex, structs as objects, big ints kept exact."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: to_json(v) for k, v in dict(value).items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(to_json(value), sort_keys=True)
