"""The v2 tables in the audit database: their keys, how rows become SQLite cells (big wei as TEXT, lists as
JSON), and how the checks read them back."""
from __future__ import annotations

import json
from typing import Any

import sqlite_utils

TABLES = ("jobs", "rounds", "heads", "seats", "stakes", "claims", "committees", "approvals", "disputes",
          "challenges", "jury_attempts", "jury_votes", "proposals", "credits", "slashes", "withdrawals",
          "escrow_changes", "finality")
PKS = {"jobs": "job_id", "rounds": ("job_id", "round"), "heads": ("job_id", "round"), "seats": "seat_index",
       "stakes": ("account", "role"), "claims": "claim_id", "committees": ("claim_id", "position"),
       "approvals": ("claim_id", "member"), "disputes": "dispute_id", "challenges": ("dispute_id", "position"),
       "jury_attempts": ("dispute_id", "attempt"), "jury_votes": ("dispute_id", "attempt", "juror"),
       "proposals": "proposal_id", "credits": "id", "slashes": "id", "withdrawals": "id", "escrow_changes": "id",
       "finality": ("kind", "subject_id")}
JSON_COLUMNS = {"params", "segments", "seats", "approvers", "draw_indices"}


def _cell(key: str, value: Any) -> Any:
    # Wei amounts can exceed SQLite's 64-bit integers: big ints are TEXT; lists and params are JSON.
    if key in JSON_COLUMNS and value is not None:
        return json.dumps(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**62:
        return str(value)
    return value


def write(db: sqlite_utils.Database, tables: dict[str, list[dict]]) -> None:
    """Replace every v2 table by `tables`, in one transaction (a table with no rows is left absent)."""
    with db.atomic():
        for name in TABLES:
            db[name].drop(ignore=True)
        for name, rows in tables.items():
            if rows:
                db[name].insert_all([{k: _cell(k, v) for k, v in row.items()} for row in rows], pk=PKS[name],
                                    alter=True)


def load(db: sqlite_utils.Database) -> dict[str, list[dict]]:
    """The v2 tables as the checks read them back (JSON columns parsed, wei as ints)."""
    out = {}
    for name in TABLES:
        rows = [dict(r) for r in db.query(f"select * from [{name}]")] if db[name].exists() else []
        for row in rows:
            for k, v in row.items():
                if k in JSON_COLUMNS and isinstance(v, str):
                    row[k] = json.loads(v)
                elif isinstance(v, str) and v.lstrip("-").isdigit() and k not in ("account",):
                    row[k] = int(v)
        out[name] = rows
    return out
