"""Settlement anyone may send (contracts/v2.md): finalize claims past their challenge window, resolve disputes
past their reveal window, finalize a head past its window. The aggregator does all of it; verifiers resolve the
disputes they are party to and, if no aggregator has for a while, finalize claims too (liveness)."""
from __future__ import annotations

from ...chain.errors import ContractRevert
from ...chain.v2 import rules
from ...chain.v2.views import ClaimStatus, DisputeStatus, ProposalStatus
from ..runtime import Runtime

# A verifier finalizes a claim itself only this many blocks after anyone could: the aggregator goes first.
FALLBACK_BLOCKS = 8


def send_or_log(rt: Runtime, key: str, function: str, *args) -> bool:
    """Submit through the outbox; a revert at signing (another node was first, a window moved) is logged."""
    try:
        rt.outbox.submit(key, function, *args)
        return True
    except ContractRevert as exc:
        rt.state.log("refused", key=key, function=function, error=str(exc))
        return False


def due_claims(rt: Runtime, block: int, slack: int = 0) -> list[int]:
    """Pending claims of the job whose challenge window closed `slack` blocks ago and whose dispute is not open."""
    p = rt.job_params
    due = []
    for row in rt.state.rows("select claim_id from claims where job_id = ? and status = 'Pending' order by claim_id",
                             (rt.job_id,)):
        c = rt.ledger.claim(row["claim_id"])
        if c.status != ClaimStatus.PENDING:
            continue
        open_dispute = c.dispute_id != 0 and rt.ledger.dispute(c.dispute_id).status == DisputeStatus.OPEN
        if rules.finalize_allowed(block - slack, c.seed_block, p.verify_window, p.challenge_window, open_dispute):
            due.append(row["claim_id"])
    return due


def finalize_claims(rt: Runtime, block: int, slack: int = 0) -> None:
    """One finalizeClaims for every due claim: one transaction's base cost for the whole batch."""
    due = due_claims(rt, block, slack)
    if not due:
        return
    key = "finalize:" + ",".join(map(str, due))
    if rt.outbox.status(key) is not None:
        rt.outbox.settle(key)
        return
    send_or_log(rt, key, "finalizeClaims", due)


def resolve_disputes(rt: Runtime, block: int, only: set[int] | None = None) -> None:
    """resolveDispute for every open dispute of the job whose current attempt's reveal window is over."""
    p = rt.job_params
    for row in rt.state.rows("select dispute_id from disputes where job_id = ? and status = 'Open'", (rt.job_id,)):
        dispute_id = row["dispute_id"]
        if only is not None and dispute_id not in only:
            continue
        d = rt.ledger.dispute(dispute_id)
        if d.status != DisputeStatus.OPEN:
            continue
        if not rules.resolve_allowed(block, d.jury_seed_block, p.commit_window, p.reveal_window):
            continue
        key = f"resolve:{dispute_id}:{d.attempt}"
        if rt.outbox.status(key) is not None:
            rt.outbox.settle(key)
            continue
        send_or_log(rt, key, "resolveDispute", dispute_id)


def finalize_head(rt: Runtime, proposal_id: int, block: int) -> None:
    """finalizeHead once the head window passed and no dispute of it is open (a proven-wrong one is Rejected)."""
    pr = rt.ledger.proposal(proposal_id)
    if pr.status != ProposalStatus.PENDING or block <= pr.propose_block + rt.job_params.head_window:
        return
    if pr.dispute_id and rt.ledger.dispute(pr.dispute_id).status == DisputeStatus.OPEN:
        return
    key = f"finalize-head:{proposal_id}"
    if rt.outbox.status(key) is not None:
        rt.outbox.settle(key)
        return
    send_or_log(rt, key, "finalizeHead", proposal_id)
