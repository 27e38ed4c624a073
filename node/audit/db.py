"""The audit database (sqlite-utils): a raw, resumable log of what the chain said, and tables derived from it.

Raw tables (written page by page while reading the chain; never rewritten):
    meta          chain id, ledger address, deployment block: a database belongs to one deployment
    cursor        the last block whose events are all stored, and its hash (a reset chain is detected)
    events        every ledger event, decoded, args as JSON (bytes as 0x-hex)
    transactions  the transactions that cast votes (sender and input, to check who signed)
    blocks        block hashes the audit needs (claim seeds)
    head_metrics  held-out metrics of heads, keyed by checkpoint id (content-addressed, so never stale)

Derived tables (dropped and rebuilt from `events` on every run, see rebuild.py):
    jobs, rounds, heads, proposals, head_votes, claims, votes, stakes, stake_changes, slashes, credits,
    withdrawals, escrow_changes; and the last run's results: checks, reverify.
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
    "transactions": {"columns": {"tx_hash": str, "block": int, "sender": str, "to_address": str, "input": str},
                     "pk": "tx_hash"},
    "blocks": {"columns": {"number": int, "hash": str}, "pk": "number"},
    "head_metrics": {"columns": {"head": str, "job_id": int, "loss": float, "accuracy": float,
                                 "perplexity": float, "source": str}, "pk": "head"},
}

# name -> (columns, pk, foreign keys, indexes). Foreign keys are declared for browsing tools and the explorer.
DERIVED_TABLES: dict[str, tuple[dict, Any, list, list]] = {
    "jobs": ({"job_id": int, "owner": str, "spec_hash": str, "genesis_head": str, "reward_per_claim": str,
              "verifier_fee": str, "quorum": int, "max_votes": int, "submit_window": int, "verify_window": int,
              "min_worker_stake": str, "min_verifier_stake": str, "worker_slash": str, "verifier_slash": str,
              "initial_escrow": str, "escrow": str, "reserved": str, "round": int, "head": str,
              "created_block": int, "tx_hash": str}, "job_id", [], []),
    "rounds": ({"job_id": int, "round": int, "head": str, "start_block": int, "claims": int, "accepted": int,
                "next_head": str}, ("job_id", "round"), [("job_id", "jobs", "job_id")], []),
    "heads": ({"job_id": int, "round": int, "parent": str, "head": str, "block": int, "tx_hash": str,
               "proposal_id": int}, ("job_id", "round"), [("job_id", "jobs", "job_id")], [["head"]]),
    "proposals": ({"proposal_id": int, "job_id": int, "round": int, "proposer": str, "parent": str,
                   "new_head": str, "accepted_claims_root": str, "propose_block": int, "status": str,
                   "approvals": int, "rejections": int, "finalized_block": int},
                  "proposal_id", [("job_id", "jobs", "job_id")], [["job_id", "round"]]),
    "head_votes": ({"proposal_id": int, "verifier": str, "approve": int, "block": int, "tx_hash": str},
                   ("proposal_id", "verifier"), [("proposal_id", "proposals", "proposal_id")], [["verifier"]]),
    "claims": ({"claim_id": int, "job_id": int, "round": int, "worker": str, "base": str, "result": str,
                "transcript_root": str, "steps": int, "artifact_uri": str, "submit_block": int, "submit_log_index": int,
                "seed_block": int,
                "seed": str, "status": str, "approvals": int, "rejections": int, "finalized_block": int,
                "finalized_log_index": int, "finalize_index": int, "tx_hash": str},
               "claim_id", [("job_id", "jobs", "job_id")], [["job_id", "round"], ["worker"], ["status"]]),
    "votes": ({"claim_id": int, "verifier": str, "approve": int, "seed": str, "block": int, "log_index": int,
               "tx_hash": str, "via": str, "signer": str, "signature": str},
              ("claim_id", "verifier"), [("claim_id", "claims", "claim_id")], [["verifier"]]),
    "stakes": ({"account": str, "role": str, "active": str, "unbonding": str, "staked": str, "withdrawn": str,
                "slashed": str}, ("account", "role"), [], []),
    "stake_changes": ({"id": int, "account": str, "role": str, "kind": str, "amount": str, "new_active": str,
                       "block": int, "log_index": int, "claim_id": int}, "id", [], [["account", "role"]]),
    "slashes": ({"id": int, "account": str, "role": str, "claim_id": int, "amount": str, "block": int},
                "id", [("claim_id", "claims", "claim_id")], [["account"], ["claim_id"]]),
    "credits": ({"id": int, "account": str, "claim_id": int, "amount": str, "reason": str, "block": int,
                 "log_index": int},
                "id", [("claim_id", "claims", "claim_id")], [["account"], ["claim_id"]]),
    "withdrawals": ({"id": int, "account": str, "amount": str, "block": int, "log_index": int, "tx_hash": str},
                    "id", [],
                    [["account"]]),
    "escrow_changes": ({"id": int, "job_id": int, "kind": str, "amount": str, "new_escrow": str,
                        "account": str, "claim_id": int, "block": int}, "id", [("job_id", "jobs", "job_id")],
                       [["job_id"]]),
    "checks": ({"name": str, "status": str, "summary": str, "evidence": str, "position": int}, "name", [], []),
    "reverify": ({"claim_id": int, "status": str, "decision": str, "reason": str}, "claim_id",
                 [("claim_id", "claims", "claim_id")], []),
}
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
    create_derived(db, ["checks"])  # exists from the start, empty until a run has judged something
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
        with db.conn:
            db["meta"].insert_all([{"key": k, "value": v} for k, v in wanted.items()], pk="key", replace=True)
        return
    for key, value in wanted.items():
        if stored[key] != value:
            raise AuditDbError(f"the audit database was built for {key} {stored[key]}, this audit is for "
                               f"{value}: pass another --db (or delete the file to start over)")


def cursor(db: sqlite_utils.Database) -> dict | None:
    rows = list(db.query("select * from cursor where name = 'events'"))
    return rows[0] if rows else None


def drop_derived(db: sqlite_utils.Database) -> None:
    # Children first, so no foreign key ever points at a missing table.
    for name in reversed(list(DERIVED_TABLES)):
        if name in ("checks", "reverify"):
            continue
        db[name].drop(ignore=True)


def create_derived(db: sqlite_utils.Database, names: list[str] | None = None) -> None:
    for name, (columns, pk, fks, indexes) in DERIVED_TABLES.items():
        if names is not None and name not in names:
            continue
        if db[name].exists():
            continue
        db[name].create(columns, pk=pk, foreign_keys=fks)
        for index in indexes:
            db[name].create_index(index, if_not_exists=True)


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
