"""Aggregator: finalize claims whose voting is over, then close the round with the mean of its accepted results."""
from __future__ import annotations

from ..chain.enums import ClaimStatus, ProposalStatus
from ..chain.errors import ContractRevert
from ..heads import accepted_claims_root, accepted_claims_synced, round_mean
from .runtime import Runtime


class Aggregator:
    def __init__(self, rt: Runtime):
        self.rt = rt

    def start(self) -> None:
        pass

    def tick(self) -> None:
        rt = self.rt
        block = rt.block()
        finalize_due_claims(rt, block)
        job = rt.job()
        rt.status.update(round=job["round"], head="0x" + job["head"].hex())
        if job["pending_proposal"]:
            self._finalize_proposal(job["pending_proposal"], block)
            return
        if job["open_claims"] or block < job["round_start"] + job["submit_window"]:
            return
        self._propose(job)

    def _propose(self, job: dict) -> None:
        rt, round_ = self.rt, job["round"]
        if not accepted_claims_synced(rt, round_):
            return
        head, _ = round_mean(rt, rt.job_id, round_)
        acc = accepted_claims_root(rt.state, rt.job_id, round_)
        attempt = rt.state.one("select count(*) as n from proposals where job_id = ? and round = ?",
                               (rt.job_id, round_))["n"]
        try:
            rt.outbox.submit(f"propose:{rt.job_id}:{round_}:{attempt}", "proposeHead", rt.job_id, round_, head, acc)
            rt.state.log("proposed", round=round_, head="0x" + head.hex())
        except ContractRevert as exc:
            rt.state.log("propose-refused", round=round_, error=str(exc))

    def _finalize_proposal(self, proposal_id: int, block: int) -> None:
        p = self.rt.ledger.call("getProposal", proposal_id)
        status, approvals, rejections, deadline = p[7], p[8], p[9], p[6]
        if status == ProposalStatus.PENDING and voting_over(self.rt, block, deadline, approvals + rejections):
            _send_ignoring_races(self.rt, f"finalize-head:{proposal_id}", "finalizeHead", proposal_id)


def finalize_due_claims(rt: Runtime, block: int) -> None:
    """Anyone may finalize: do it for every pending claim whose votes are all in or whose window is over."""
    for claim in rt.state.rows("select claim_id from claims where job_id = ? and status = 'Pending'", (rt.job_id,)):
        view = rt.ledger.call("getClaim", claim["claim_id"])
        status, approvals, rejections, deadline = view[9], view[10], view[11], view[8]
        if status == ClaimStatus.PENDING and voting_over(rt, block, deadline, approvals + rejections):
            _send_ignoring_races(rt, f"finalize:{claim['claim_id']}", "finalizeClaim", claim["claim_id"])


def voting_over(rt: Runtime, block: int, deadline: int, votes: int) -> bool:
    """A claim or head may be finalized: its voting window has passed, or every vote it takes is in."""
    return block > deadline or votes >= rt.max_votes


def _send_ignoring_races(rt: Runtime, key: str, function: str, *args) -> None:
    try:
        rt.outbox.submit(key, function, *args)
    except ContractRevert as exc:
        # Another node finalized first (ClaimNotPending / ProposalNotPending): nothing left to do.
        rt.state.log("race-lost", key=key, error=exc.name)
