"""Read-only access to the audit database (the meta and checks every page shows); the tables' queries are
v2_queries.py's. The explorer shows only what the audit rebuilt from the chain."""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class AuditDbMissing(FileNotFoundError):
    pass


class Reader:
    """Opens the database read-only per request (the audit may be writing it meanwhile)."""

    def __init__(self, path: Path):
        if not Path(path).is_file():
            raise AuditDbMissing(f"audit database {path} not found: run `gradchain audit` first (or pass --db)")
        self.path = Path(path)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()

    def rows(self, sql: str, params=()) -> list[dict]:
        with self.connect() as conn:
            try:
                return [dict(r) for r in conn.execute(sql, params)]
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return []  # an audit that has not finished its first read yet
                raise

    # -- pages --------------------------------------------------------------------------------------------
    def meta(self) -> dict:
        return {r["key"]: r["value"] for r in self.rows("select key, value from meta")}

    def checks(self) -> list[dict]:
        return [{**r, "evidence": json.loads(r["evidence"] or "[]")}
                for r in self.rows("select * from checks order by position")]
