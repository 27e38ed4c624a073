"""The v2 aggregator: relays committee members' signed approvals in one approveBatch (relay_batch.py),
batch-finalizes claims (one finalizeClaims per tick), resolves disputes, and proposes each round's head with a
bond once the round's claims are final, then finalizes it after its challenge window.

It stakes only the head bond as a verifier, below the seat stake: it holds no seat, so it is never drawn into
a committee it would not serve. A result is fetched from the worker, else from any approver that kept a copy.
"""
from __future__ import annotations

from ...chain.v2.views import Role
from ...heads import accepted_claims_root, accepted_claims_synced, round_mean
from ..runtime import Runtime
from . import settle
from .relay_batch import RelayBatcher


class AggregatorV2:
    def __init__(self, rt: Runtime, bogus: bool = False):
        self.rt = rt
        self.bogus = bogus  # DEMO/TESTS ONLY: propose a head that is not the mean, withhold relayed approvals
        self.relay = RelayBatcher(rt)
        rt.follower.rollback_listeners.append(lambda _rollback: self.relay.forget())

    def start(self) -> None:
        self.rt.ensure_stake(Role.VERIFIER, self.rt.job_params.head_bond, exact=True)

    def tick(self) -> None:
        rt = self.rt
        block = rt.block()
        job = rt.job()
        if not (self.bogus and rt.cheating(job["round"])):  # a dishonest relayer (DEMO/TESTS ONLY) withholds
            self.relay.tick(block)
        settle.finalize_claims(rt, block)
        settle.resolve_disputes(rt, block)
        job = rt.job()  # again: settling may have ended the round (once the follower has seen it)
        rt.status.update(round=job["round"], head="0x" + job["head"].hex(), approvals_relayed=self.relay.relayed)
        if job["pending_proposal"]:
            settle.finalize_head(rt, job["pending_proposal"], block)
            return
        if job["open_claims"] or not rt.submissions_closed(job, block):
            return
        self._propose(job)

    def _propose(self, job: dict) -> None:
        rt, round_ = self.rt, job["round"]
        if not accepted_claims_synced(rt, round_):
            return
        rt.report("proposing", round=round_)
        head, _ = round_mean(rt, rt.job_id, round_)
        if self.bogus and rt.cheating(round_) and head != job["head"]:
            from eth_utils import keccak

            head = keccak(b"not the mean" + head)
        acc = accepted_claims_root(rt.state, rt.job_id, round_)
        attempt = rt.state.one("select count(*) as n from proposals where job_id = ? and round = ?",
                               (rt.job_id, round_))["n"]
        if settle.send_or_log(rt, f"propose:{rt.job_id}:{round_}:{attempt}", "proposeHead", rt.job_id, round_, head,
                              acc):
            rt.state.log("proposed", round=round_, head="0x" + head.hex())
