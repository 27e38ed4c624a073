"""Read-only queries over a v2 audit database (node/audit/v2/rebuild.py tables): claims with their committee,
approvals and dispute; disputes with their challengers, jury attempts, votes, and the slashes and credits they
caused; head proposals with their dispute."""
from __future__ import annotations

import json

from .chain_queries import ChainReader
from .paging import Paging
from .queries import Reader

JSON_COLUMNS = ("segments", "seats", "approvers", "draw_indices", "params")


def _parsed(rows: list[dict]) -> list[dict]:
    for r in rows:
        for k in JSON_COLUMNS:
            if isinstance(r.get(k), str):
                r[k] = json.loads(r[k])
    return rows


class ReaderV2:
    def __init__(self, reader: Reader):
        self.r = reader
        self.chain = ChainReader(reader)

    def t(self, column: str) -> str:
        return self.chain.time_of(column)

    def paged(self, select: str, table: str, paging: Paging, where: str = "", params=()) -> tuple[list[dict], int]:
        """One page of `select` (which ends before its limit) and how many rows the whole list has."""
        return (self.rows(f"{select} limit ? offset ?", (*params, paging.size, paging.offset)),
                self.chain.count(table, where, params))

    def rows(self, sql: str, params=()) -> list[dict]:
        return _parsed(self.r.rows(sql, params))

    def loss_rows(self) -> tuple[list[dict], list[dict]]:
        """(segment means, fetch outcomes) of the transcripts read for the curves (node/audit/v2/losses.py); empty
        for a database written before curves existed or with --no-artifacts."""
        from node.audit.v2.losses import FETCHES, LOSSES

        return self.rows(f"select * from {LOSSES}"), self.rows(f"select * from {FETCHES}")

    def jobs(self) -> list[dict]:
        return self.rows("select * from jobs order by job_id")

    def heads(self, job_id: int, paging: Paging | None = None) -> list[dict]:
        sql = (f"select h.*, p.dispute_id, {self.t('h.block')} as time from heads h left join proposals p "
               "on p.proposal_id = h.proposal_id where h.job_id = ? order by h.round")
        if paging is None:
            return self.rows(sql, (job_id,))
        return self.paged(sql, "heads", paging, "where job_id = ?", (job_id,))

    def claims(self, paging: Paging | None = None, worker: str | None = None):
        where, params = ("where lower(worker) = lower(?)", (worker,)) if worker else ("", ())
        sql = f"select c.*, {self.t('c.submit_block')} as time from claims c {where} order by claim_id"
        if paging is None:
            return self.rows(sql, params)
        return self.paged(sql, "claims", paging, where, params)

    def claim(self, claim_id: int) -> dict | None:
        found = self.rows(f"select *, {self.t('submit_block')} as time, {self.t('finalized_block')} as finalized_time "
                          "from claims where claim_id = ?", (claim_id,))
        if not found:
            return None
        c = found[0]
        c["committee"] = self.rows("select * from committees where claim_id = ? order by position", (claim_id,))
        c["approvals"] = self.rows(f"select *, {self.t('block')} as time from approvals where claim_id = ? "
                                   "order by position", (claim_id,))
        c["credits"] = self.rows("select * from credits where subject_kind = 'claim' and subject_id = ? order by id",
                                 (claim_id,))
        c["slashes"] = self.rows("select * from slashes where subject_kind = 'claim' and subject_id = ? order by id",
                                 (claim_id,))
        c["disputes"] = self.rows(f"select *, {self.t('open_block')} as time from disputes where kind = 'Claim' "
                                  "and subject_id = ?", (claim_id,))
        return c

    def disputes(self, paging: Paging | None = None):
        sql = f"select d.*, {self.t('d.open_block')} as time from disputes d order by dispute_id"
        if paging is None:
            return self.rows(sql)
        return self.paged(sql, "disputes", paging)

    def proposals(self, paging: Paging):
        return self.paged(f"select p.*, {self.t('p.propose_block')} as time from proposals p order by proposal_id",
                          "proposals", paging)

    def dispute(self, dispute_id: int) -> dict | None:
        found = self.rows(f"select *, {self.t('open_block')} as time, {self.t('resolved_block')} as resolved_time "
                          "from disputes where dispute_id = ?", (dispute_id,))
        if not found:
            return None
        d = found[0]
        d["challengers"] = self.rows("select * from challenges where dispute_id = ? order by position", (dispute_id,))
        seats = {s["seat_index"]: s["account"] for s in self.rows("select * from seats")}
        d["attempts"] = self.rows("select * from jury_attempts where dispute_id = ? order by attempt", (dispute_id,))
        for a in d["attempts"]:
            a["jurors"] = [{"seat_index": i, "account": seats.get(i)} for i in a["seats"] or []]
            a["votes"] = self.rows("select * from jury_votes where dispute_id = ? and attempt = ? "
                                   "order by commit_order",
                                   (dispute_id, a["attempt"]))
        # What its resolution moved: every slash and credit of the resolving transaction (some name the claim or
        # proposal as their subject), and the juror bonds lost when an attempt was redrawn.
        d["slashes"] = self.rows("select * from slashes where tx_hash = ? or (subject_kind = 'dispute' and "
                                 "subject_id = ?) order by id", (d["resolved_tx"], dispute_id))
        d["credits"] = self.rows("select * from credits where subject_kind = 'dispute' and subject_id = ? order by id",
                                 (dispute_id,))
        return d

    def proposal(self, proposal_id: int) -> dict | None:
        found = self.rows(f"select *, {self.t('propose_block')} as time, {self.t('finalized_block')} as finalized_time "
                          "from proposals where proposal_id = ?", (proposal_id,))
        if not found:
            return None
        p = found[0]
        p["disputes"] = self.rows(f"select *, {self.t('open_block')} as time from disputes where kind = 'Head' "
                                  "and subject_id = ?", (proposal_id,))
        return p

    def stakes(self, account: str | None = None) -> list[dict]:
        if account:
            return self.rows("select * from stakes where lower(account) = lower(?) order by role", (account,))
        return self.rows("select * from stakes order by account, role")

    def account_moves(self, account: str) -> dict:
        return {"credits": self.rows("select * from credits where lower(account) = lower(?) order by id", (account,)),
                "slashes": self.rows("select * from slashes where lower(account) = lower(?) order by id", (account,))}
