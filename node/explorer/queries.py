"""Read-only queries over the audit database: the explorer shows only what the audit rebuilt from the chain."""
from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
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

    def jobs(self) -> list[dict]:
        return self.rows("select * from jobs order by job_id")

    def heads(self, job_id: int) -> list[dict]:
        """One row per round's head, with its metrics, the claims it averages and the audit's verdict on it."""
        heads = self.rows(
            "select h.*, m.loss, m.accuracy, m.perplexity, p.approvals as head_approvals, "
            "p.rejections as head_rejections from heads h left join head_metrics m on m.head = h.head "
            "left join proposals p on p.proposal_id = h.proposal_id where h.job_id = ? order by h.round", (job_id,))
        averaged = defaultdict(list)
        for c in self.rows("select claim_id, round from claims where job_id = ? and status = 'Accepted' "
                           "order by claim_id", (job_id,)):
            averaged[c["round"] + 1].append(c["claim_id"])
        verdicts = self.head_verdicts()
        for h in heads:
            h["claims"] = averaged.get(h["round"], [])
            h["audit"] = verdicts.get((job_id, h["round"]), "not checked")
        return heads

    def head_verdicts(self) -> dict[tuple[int, int], str]:
        """(job, round of the head) -> the head_average check's status for it."""
        out = {}
        for check in self.checks():
            if check["name"] != "head_average":
                continue
            for item in check["evidence"]:
                if "job" in item and "head_round" in item:
                    out[(item["job"], item["head_round"])] = item["status"]
        return out

    def metrics(self, job_id: int) -> list[dict]:
        return self.rows("select h.round, h.head, m.loss, m.accuracy, m.perplexity from heads h join head_metrics m "
                         "on m.head = h.head where h.job_id = ? order by h.round", (job_id,))

    def claims(self, where: str = "", params=()) -> list[dict]:
        claims = self.rows(f"select c.*, r.status as reverify from claims c left join reverify r "
                           f"on r.claim_id = c.claim_id {where} order by c.claim_id", params)
        votes = defaultdict(list)
        for v in self.rows("select * from votes order by block, log_index"):
            votes[v["claim_id"]].append(v)
        for c in claims:
            c["votes"] = votes.get(c["claim_id"], [])
            c["transcript_url"] = artifact_url(c["artifact_uri"], c["transcript_root"])
            c["result_url"] = artifact_url(c["artifact_uri"], c["result"])
        return claims

    def claim(self, claim_id: int) -> dict | None:
        found = self.claims("where c.claim_id = ?", (claim_id,))
        if not found:
            return None
        claim = found[0]
        claim["credits"] = self.rows("select * from credits where claim_id = ? order by id", (claim_id,))
        claim["slashes"] = self.rows("select * from slashes where claim_id = ? order by id", (claim_id,))
        claim["reverify_detail"] = self.rows("select * from reverify where claim_id = ?", (claim_id,))
        return claim

    def addresses(self) -> list[dict]:
        """Every address the ledger names, with what it earned, staked, lost and withdrew (wei as ints)."""
        book: dict[str, dict] = {}

        def entry(account: str) -> dict:
            key = account.lower()
            if key not in book:
                book[key] = {"account": account, "roles": set(), "worker_stake": 0, "verifier_stake": 0,
                             "unbonding": 0, "rewards": 0, "fees": 0, "slash_shares": 0, "slashed": 0,
                             "withdrawn": 0, "claims": 0, "votes": 0}
            return book[key]

        for s in self.rows("select * from stakes"):
            e = entry(s["account"])
            e["roles"].add(s["role"])
            e[f"{s['role']}_stake"] += int(s["active"])
            e["unbonding"] += int(s["unbonding"])
        for c in self.rows("select * from credits"):
            e = entry(c["account"])
            e[{"Reward": "rewards", "Fee": "fees", "SlashShare": "slash_shares"}[c["reason"]]] += int(c["amount"])
        for s in self.rows("select * from slashes"):
            entry(s["account"])["slashed"] += int(s["amount"])
        for w in self.rows("select * from withdrawals"):
            entry(w["account"])["withdrawn"] += int(w["amount"])
        for c in self.rows("select worker, count(*) as n from claims group by worker"):
            entry(c["worker"])["claims"] += c["n"]
        for v in self.rows("select verifier, count(*) as n from votes group by verifier"):
            entry(v["verifier"])["votes"] += v["n"]
        for j in self.rows("select owner from jobs"):
            entry(j["owner"])["roles"].add("job owner")
        out = []
        for e in book.values():
            e["roles"] = sorted(e["roles"])
            e["credit"] = e["rewards"] + e["fees"] + e["slash_shares"] - e["withdrawn"]
            out.append(e)
        return sorted(out, key=lambda e: e["account"].lower())

    def address(self, account: str) -> dict | None:
        found = [a for a in self.addresses() if a["account"].lower() == account.lower()]
        if not found:
            return None
        a = found[0]
        a["credits"] = self.rows("select * from credits where lower(account) = lower(?) order by id", (account,))
        a["slashes"] = self.rows("select * from slashes where lower(account) = lower(?) order by id", (account,))
        a["stake_changes"] = self.rows("select * from stake_changes where lower(account) = lower(?) order by id",
                                       (account,))
        a["withdrawals"] = self.rows("select * from withdrawals where lower(account) = lower(?) order by id",
                                     (account,))
        a["claim_list"] = self.claims("where lower(c.worker) = lower(?)", (account,))
        a["vote_list"] = self.rows("select * from votes where lower(verifier) = lower(?) order by claim_id", (account,))
        return a


def artifact_url(base: str | None, artifact_id: str | None) -> str | None:
    """The worker's URL for an artifact (node/fetch.py: GET {artifactURI}/artifacts/{hex id})."""
    if not base or not artifact_id or not base.startswith(("http://", "https://")):
        return None
    return f"{base.rstrip('/')}/artifacts/{artifact_id.removeprefix('0x')}"
