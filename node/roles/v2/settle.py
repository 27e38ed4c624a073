"""Settlement anyone may send (contracts/v2.md): finalize claims past their challenge window, resolve disputes
past their reveal window, finalize a head past its window. The aggregator does all of it; verifiers do it too,
`FALLBACK_BLOCKS` later, so that nothing waits forever on an aggregator that is gone (liveness).

Due-ness is read from the follower's tables (no RPC call per claim per tick); the chain has the last word, and a
stale read costs a refused transaction, logged.
"""
from __future__ import annotations

from ...chain.errors import ContractRevert
from ...chain.v2 import rules
from ...chain.v2.views import DisputeStatus, ProposalStatus
from ..runtime import Runtime

FALLBACK_BLOCKS = 8


def send_or_log(rt: Runtime, key: str, function: str, *args, wait: bool = True) -> bool:
    """Submit through the outbox; a revert at signing (another node was first, a window moved) is logged."""
    try:
        rt.outbox.submit(key, function, *args, wait=wait)
        return True
    except ContractRevert as exc:
        rt.state.log("refused", key=key, function=function, error=str(exc))
        return False


def _settle_or_send(rt: Runtime, key: str, function: str, *args) -> None:
    if rt.outbox.status(key) is not None:
        rt.outbox.settle(key)
    else:
        send_or_log(rt, key, function, *args)


def due_claims(rt: Runtime, block: int, slack: int = 0) -> list[int]:
    """Pending claims of the job whose challenge window closed `slack` blocks ago and whose dispute is not open."""
    p = rt.job_params
    rows = rt.state.rows("select c.claim_id, c.submit_block, d.status as dispute_status from claims c left join "
                         "disputes d on d.dispute_id = c.dispute_id where c.job_id = ? and c.status = 'Pending' "
                         "order by c.claim_id", (rt.job_id,))
    return [r["claim_id"] for r in rows
            if rules.finalize_allowed(block - slack, rules.seed_block(r["submit_block"]), p.verify_window,
                                      p.challenge_window, r["dispute_status"] == "Open")]


def finalize_claims(rt: Runtime, block: int, slack: int = 0) -> None:
    """One finalizeClaims for every due claim: one transaction's base cost for the whole batch."""
    due = due_claims(rt, block, slack)
    if due:
        rt.report("finalizing", claims=due)
        _settle_or_send(rt, "finalize:" + ",".join(map(str, due)), "finalizeClaims", due)


def resolve_disputes(rt: Runtime, block: int, slack: int = 0) -> None:
    """resolveDispute for every open dispute of the job whose current attempt's reveal window is over."""
    p = rt.job_params
    for d in rt.state.rows("select dispute_id, attempt, attempt_start from disputes where job_id = ? and "
                           "status = 'Open'", (rt.job_id,)):
        seed_blk = rules.jury_seed_block(d["attempt_start"])
        if rules.resolve_allowed(block - slack, seed_blk, p.commit_window, p.reveal_window):
            _settle_or_send(rt, f"resolve:{d['dispute_id']}:{d['attempt']}", "resolveDispute", d["dispute_id"])


def finalize_head(rt: Runtime, proposal_id: int, block: int, slack: int = 0) -> None:
    """finalizeHead once the head window passed and no dispute of it is open (a proven-wrong one is Rejected)."""
    pr = rt.state.one("select p.block, p.status, d.status as dispute_status from proposals p left join disputes d "
                      "on d.dispute_id = p.dispute_id where p.proposal_id = ?", (proposal_id,))
    if pr is None or pr["status"] != "Pending" or block - slack <= pr["block"] + rt.job_params.head_window:
        return
    if pr["dispute_status"] == "Open":
        return
    _settle_or_send(rt, f"finalize-head:{proposal_id}", "finalizeHead", proposal_id)


__all__ = ["ContractRevert", "DisputeStatus", "ProposalStatus", "FALLBACK_BLOCKS", "send_or_log", "due_claims",
           "finalize_claims", "resolve_disputes", "finalize_head"]
