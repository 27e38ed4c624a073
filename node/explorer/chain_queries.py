"""Read-only queries over the audit's chain records (node/audit/chain_records.py: block headers, transactions)
and the raw event log: blocks, transactions, events, the sync cursor, who holds which role, checkpoints, and
what a search box query names."""
from __future__ import annotations

import json
import re

from .paging import Paging
from .queries import Reader

HASH32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
# "claim 5", "claim #5", "#5", "block 12", "dispute 3", "proposal 2", or a bare number.
NUMBERED = re.compile(r"^(?:(claim|block|dispute|proposal|head proposal)\s*)?#?\s*([0-9][0-9,_]*)$", re.I)
ROLE_ORDER = ("ledger contract", "job owner", "worker", "verifier", "juror", "aggregator", "challenger")


class ChainReader:
    def __init__(self, reader: Reader):
        self.r = reader

    def rows(self, sql: str, params=()) -> list[dict]:
        return self.r.rows(sql, params)

    def one(self, sql: str, params=()) -> dict | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def count(self, table: str, where: str = "", params=()) -> int:
        found = self.rows(f"select count(*) as n from [{table}] {where}", params)
        return found[0]["n"] if found else 0

    # -- sync -------------------------------------------------------------------------------------------------
    def cursor(self) -> dict | None:
        """The last block whose events are all in the database, and when the audit or the live sync last read."""
        found = self.one("select * from cursor where name = 'events'")
        if found is None:
            return None
        meta = {r["key"]: r["value"] for r in self.rows("select key, value from meta where key like 'live_%'")}
        times = [t for t in (found.get("updated_at"), meta.get("live_synced_at")) if t is not None]
        return {**found, "synced_at": max(float(t) for t in times) if times else None,
                "live_error": meta.get("live_error") or None, "live": "live_synced_at" in meta}

    # -- blocks and transactions --------------------------------------------------------------------------------
    def has_block_times(self) -> bool:
        return any(c["name"] == "timestamp" for c in self.rows("select name from pragma_table_info('blocks')"))

    def time_of(self, column: str) -> str:
        """SQL for the timestamp of the block numbered `column` (NULL in a database from before block times)."""
        return f"(select timestamp from blocks where number = {column})" if self.has_block_times() else "null"

    def block(self, number: int) -> dict | None:
        cols = "*" if self.has_block_times() else "number, hash"
        return self.one(f"select {cols} from blocks where number = ?", (number,))

    def block_txs(self, number: int) -> list[dict]:
        return self.rows("select * from transactions where block = ? order by tx_index", (number,))

    def tx(self, tx_hash: str) -> dict | None:
        return self.one(f"select t.*, {self.time_of('t.block')} as time from transactions t "
                        "where lower(t.hash) = lower(?)", (tx_hash,))

    def txs(self, paging: Paging) -> tuple[list[dict], int]:
        rows = self.rows(f"select t.*, {self.time_of('t.block')} as time, "
                         "(select count(*) from events e where e.tx_hash = t.hash) as events "
                         "from transactions t order by t.block desc, t.tx_index desc limit ? offset ?",
                         (paging.size, paging.offset))
        return rows, self.count("transactions")

    # -- events -----------------------------------------------------------------------------------------------
    def events(self, paging: Paging, *, tx_hash: str | None = None, block: int | None = None,
               name: str | None = None) -> tuple[list[dict], int]:
        where, params = [], []
        if tx_hash is not None:
            where.append("lower(tx_hash) = lower(?)")
            params.append(tx_hash)
        if block is not None:
            where.append("block = ?")
            params.append(block)
        if name:
            where.append("name = ?")
            params.append(name)
        clause = ("where " + " and ".join(where)) if where else ""
        rows = self.rows(f"select e.*, {self.time_of('e.block')} as time from events e {clause} "
                         "order by block desc, log_index desc limit ? offset ?", (*params, paging.size, paging.offset))
        for r in rows:
            r["args"] = json.loads(r["args"])
        return rows, self.count("events", clause, params)

    def event_names(self) -> list[str]:
        return [r["name"] for r in self.rows("select distinct name from events order by name")]

    # -- roles --------------------------------------------------------------------------------------------------
    def roles(self) -> dict[str, list[str]]:
        """address -> its roles by name, in ROLE_ORDER (stakes' roles, then what the events show it did)."""
        found = self.rows(
            "select account, role from stakes union select owner, 'job owner' from jobs "
            "union select s.account, 'juror' from jury_attempts a, json_each(a.seats) j "
            "join seats s on s.seat_index = j.value "
            "union select juror, 'juror' from jury_votes union select proposer, 'aggregator' from proposals "
            "union select challenger, 'challenger' from challenges union select worker, 'worker' from claims")
        if not found:  # an older or partial database may lack some tables: each part on its own
            found = [r for sql in ("select account, role from stakes", "select owner as account, 'job owner' as role "
                                   "from jobs", "select proposer as account, 'aggregator' as role from proposals",
                                   "select challenger as account, 'challenger' as role from challenges",
                                   "select worker as account, 'worker' as role from claims")
                     for r in self.rows(sql)]
        by_account: dict[str, set] = {}
        for r in found:
            if r["account"]:
                by_account.setdefault(r["account"], set()).add(r["role"])
        ledger = self.one("select value from meta where key = 'address'")
        if ledger:  # the meta holds it lower-case; events and transactions name it checksummed
            match = next((a for a in by_account if a.lower() == ledger["value"]), None)
            by_account.setdefault(match or ledger["value"], set()).add("ledger contract")
        order = {name: i for i, name in enumerate(ROLE_ORDER)}
        return {a: sorted(roles, key=lambda n: order.get(n, len(order))) for a, roles in sorted(by_account.items())}

    def address_txs(self, account: str, paging: Paging) -> tuple[list[dict], int]:
        """Transactions it sent or was sent (the ledger contract receives them all)."""
        where = "where lower(sender) = lower(?) or lower(target) = lower(?)"
        rows = self.rows(f"select t.*, {self.time_of('t.block')} as time from transactions t {where} "
                         "order by block desc, tx_index desc limit ? offset ?",
                         (account, account, paging.size, paging.offset))
        return rows, self.count("transactions", where, (account, account))

    # -- checkpoints (heads and claim results) ------------------------------------------------------------------
    def checkpoint(self, checkpoint: str) -> dict:
        c = checkpoint.lower()
        return {"heads": self.rows(f"select h.*, {self.time_of('h.block')} as time from heads h "
                                   "where lower(head) = ? order by job_id, round", (c,)),
                "proposals": self.rows("select * from proposals where lower(new_head) = ? or lower(parent) = ? "
                                       "order by proposal_id", (c, c)),
                "claims": self.rows("select * from claims where lower(result) = ? or lower(base) = ? "
                                    "order by claim_id", (c, c))}

    # -- search -------------------------------------------------------------------------------------------------
    def search(self, query: str) -> list[tuple[str, str]]:
        """(label, url) of everything `query` names: one result is a redirect, several a choice, none a 404."""
        q = query.strip()
        found: list[tuple[str, str]] = []
        if HASH32.match(q):
            if self.one("select hash from transactions where lower(hash) = lower(?)", (q,)) or \
                    self.one("select tx_hash from events where lower(tx_hash) = lower(?) limit 1", (q,)):
                found.append((f"transaction {q}", f"/tx/{q.lower()}"))
            block = self.one("select number from blocks where lower(hash) = lower(?)", (q,))
            if block:
                found.append((f"block {block['number']:,}", f"/block/{block['number']}"))
            cp = self.checkpoint(q)
            if cp["heads"] or cp["proposals"] or cp["claims"]:
                found.append((f"checkpoint {q}", f"/checkpoint/{q.lower()}"))
        elif ADDRESS.match(q):
            if q.lower() in {a.lower() for a in self.roles()} or self.one(
                    "select hash from transactions where lower(sender) = lower(?) or lower(target) = lower(?) "
                    "limit 1", (q, q)):
                found.append((f"address {q}", f"/address/{q}"))
        elif m := NUMBERED.match(q):
            kind, n = (m.group(1) or "").lower(), int(m.group(2).replace(",", "").replace("_", ""))
            tables = {"claim": ("claims", "claim_id", "/claim/"), "dispute": ("disputes", "dispute_id", "/disputes/"),
                      "proposal": ("proposals", "proposal_id", "/proposals/")}
            tables["head proposal"] = tables["proposal"]
            for name, (table, key, url) in tables.items():
                if kind in ("", name) and name != "head proposal" and self.one(
                        f"select {key} from {table} where {key} = ?", (n,)):
                    found.append((f"{name} #{n}", f"{url}{n}"))
            if kind in ("", "block") and self.block_known(n):
                found.append((f"block {n:,}", f"/block/{n}"))
        return found

    def block_known(self, number: int) -> bool:
        """A block the audit has read past (its page lists what the ledger did in it, maybe nothing)."""
        cursor = self.one("select block from cursor where name = 'events'")
        first = self.one("select value from meta where key = 'deployment_block'")
        return cursor is not None and first is not None and int(first["value"]) <= number <= cursor["block"]
