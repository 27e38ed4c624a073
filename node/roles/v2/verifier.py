"""The v2 verifier (PROTOCOL.md v2 §7): a committee member on the claims it is drawn for, a juror on the disputes
it is drawn for, a watcher of heads (it challenges one that is not the mean of the round's accepted results),
and a keeper of the results it approved (it stores and serves a copy, so the aggregator need not rely on the
worker's server alone)."""
from __future__ import annotations

import json
import time

from ...chain.v2.views import ProposalStatus, Role
from ...diskspace import is_disk_full
from ..claim_check import b32
from ..runtime import Runtime
from ..verifier import Verifier
from . import settle
from .juror import Juror
from .member import CommitteeMember


class VerifierV2(Verifier):
    def __init__(self, rt: Runtime):
        super().__init__(rt)
        partners = frozenset(a.lower() for a in rt.options.extra.get("partners", ()))
        self.member = CommitteeMember(self, partners)
        self.juror = Juror(rt, partners)
        self.own_workers = {rt.address.lower()}  # claims this node is a party to as their worker: never judged
        self._copy_retry: dict[bytes, tuple[float, float]] = {}  # result id -> (next try, backoff s)
        # After a reorg a claim or dispute id may name another claim (another seed, another committee).
        rt.follower.rollback_listeners.append(lambda _rollback: self.forget())

    def forget(self) -> None:
        """Drop what was cached as fixed: the chain it was read from went back."""
        self.member.seats.clear()
        self.member.done.clear()
        self.member.posted.clear()
        self.juror.juries.clear()
        self.juror._seat = None

    def start(self) -> None:
        rt = self.rt
        p = rt.job_params
        seat_stake = rt.ledger.call("seatStake")
        # A seat, plus room for the bonds of a busy round: approvals, a challenge, juror commitments.
        rt.ensure_stake(Role.VERIFIER, seat_stake + 4 * p.approval_bond + 2 * p.challenge_bond + 4 * p.juror_bond)

    def resume(self) -> None:
        """After a restart, before torch loads: send the approvals decided but never sent (a recorded verdict needs
        no replay), and reveal what was committed."""
        rt = self.rt
        block = rt.block()
        for claim in rt.state.rows("select c.* from claims c join verdicts v on v.kind = 'claim' and "
                                   "v.subject_id = c.claim_id where c.status = 'Pending' and v.decision = 'approve'"):
            self.member.tick(claim, block)
        self.juror.resume()

    def tick(self) -> None:
        rt = self.rt
        block = rt.block()
        job = rt.job()
        cheat = rt.options.cheat if rt.cheating(job["round"]) else None  # DEMO/TESTS ONLY
        self.member.mode = cheat
        colluding = cheat == "collude"
        self.juror.collude = colluding or cheat == "lazy"  # a lazy juror replays nothing either: all sound
        rt.outbox.check_sent()  # approvals and commitments go out without waiting for their receipts
        self.juror.tick(block)  # first: a juror's windows are the shortest
        for claim in rt.state.rows("select * from claims where job_id = ? and status = 'Pending' order by claim_id",
                                   (rt.job_id,)):
            if claim["worker"].lower() in self.own_workers:
                continue
            try:
                self.member.tick(claim, block)
            except Exception as exc:  # one claim's trouble must not stall the others' windows
                if is_disk_full(exc):
                    raise
                rt.state.log("member-error", claim=claim["claim_id"], error=f"{type(exc).__name__}: {exc}")
        self._keep_approved_results()
        settle.resolve_disputes(rt, block, slack=settle.FALLBACK_BLOCKS)
        settle.finalize_claims(rt, block, slack=settle.FALLBACK_BLOCKS)
        if job["pending_proposal"] and cheat != "lazy":  # a lazy verifier rebuilds no head either
            self._watch_head(job["pending_proposal"], block, colluding and not self.member.partners)
        rt.status.update(round=job["round"], claims_checked=self.claims_checked, disputes_judged=self.juror.disputes_judged,
                         seconds_verifying=round(self.verify_seconds, 3), updated_at=time.time())

    def _keep_approved_results(self) -> None:
        """A copy of each result this node approved, fetched (id-checked) and stored: served at /artifacts."""
        rt = self.rt
        for row in rt.state.rows("select c.claim_id, c.result, c.artifact_uri from claims c join approvals a on "
                                 "a.claim_id = c.claim_id where a.member = ? and c.job_id = ?", (rt.address, rt.job_id)):
            result = b32(row["result"])
            if rt.store.has(result):
                continue
            retry_at, wait = self._copy_retry.get(result, (0.0, 0.0))
            if time.monotonic() < retry_at:
                continue  # a server that is down is not asked again on every tick: the duties come first
            try:
                rt.checkpoint(result, row["artifact_uri"])
            except Exception as exc:  # the worker's server is gone: the replay may still have cached nothing
                if not wait:
                    rt.state.log("result-copy-failed", claim=row["claim_id"], error=f"{type(exc).__name__}: {exc}")
                wait = min(max(2 * wait, 1.0), 60.0)
                self._copy_retry[result] = (time.monotonic() + wait, wait)

    def _watch_head(self, proposal_id: int, block: int, colluding: bool) -> None:
        from ...heads import accepted_claims_synced, round_mean

        rt = self.rt
        key = f"challenge-head:{proposal_id}"
        if rt.outbox.status(key) is not None:
            rt.outbox.settle(key)
            return
        decided = rt.state.one("select * from verdicts where kind = 'head' and subject_id = ?", (proposal_id,))
        if decided is not None and (decided["decision"] == "approve") != colluding:
            return  # checked once: nothing to challenge
        pr = rt.ledger.proposal(proposal_id)
        if pr.status != ProposalStatus.PENDING or pr.dispute_id or block > pr.propose_block + rt.job_params.head_window:
            return
        if decided is None:
            if not accepted_claims_synced(rt, pr.round):
                return
            head, _ = round_mean(rt, rt.job_id, pr.round)
            decided = {"kind": "head", "subject_id": proposal_id,
                       "decision": "approve" if head == pr.new_head else "reject",
                       "reason": json.dumps({"recomputed": "0x" + head.hex(), "proposed": "0x" + pr.new_head.hex()}),
                       "decided_at": time.time(), "seed": ""}
            rt.state.upsert("verdicts", decided)
        # A colluder (DEMO/TESTS ONLY) griefs instead: it challenges the heads that are right.
        if (decided["decision"] == "reject") != colluding:
            settle.send_or_log(rt, key, "challengeHead", proposal_id)
