"""GET /status, /claims, /rounds: what this node has seen and decided, with explicit response models."""
from __future__ import annotations

import json

from fastapi import APIRouter, Query
from pydantic import BaseModel

from .bounds import QueryId
from .context import Context

router = APIRouter(tags=["ledger"])


class StatusOut(BaseModel):
    role: str
    address: str
    chain_id: int
    ledger: str
    last_block: int
    claims_seen: int
    artifacts_stored: int
    details: dict


class ClaimOut(BaseModel):
    claim_id: int
    job_id: int
    round: int
    worker: str
    result: str
    transcript_root: str
    steps: int
    artifact_uri: str
    submit_block: int
    status: str
    approvals: int
    rejections: int
    local_verdict: str | None = None
    local_reason: dict | None = None


class RoundOut(BaseModel):
    job_id: int
    round: int
    head: str
    start_block: int
    claims: int
    accepted: int
    rejected: int


@router.get("/status", response_model=StatusOut)
def status(node: Context) -> StatusOut:
    return StatusOut(
        role=node.role, address=node.address, chain_id=node.chain_id, ledger=node.ledger_address,
        last_block=node.state.last_block(default=-1),
        claims_seen=node.state.db["claims"].count,
        artifacts_stored=sum(1 for p in node.store.root.iterdir() if not p.name.startswith(".")),
        details=node.extra_status(),
    )


@router.get("/claims", response_model=list[ClaimOut])
def claims(node: Context, job_id: QueryId = None, limit: int = Query(100, ge=1, le=1000)) -> list[ClaimOut]:
    rows = node.state.rows(
        "select c.*, v.decision as local_verdict, v.reason as local_reason from claims c "
        "left join verdicts v on v.kind = 'claim' and v.subject_id = c.claim_id "
        "where (:job is null or c.job_id = :job) order by c.claim_id desc limit :limit",
        {"job": job_id, "limit": limit},
    )
    for row in rows:
        row["local_reason"] = json.loads(row["local_reason"]) if row["local_reason"] else None
    return [ClaimOut(**row) for row in rows]


@router.get("/rounds", response_model=list[RoundOut])
def rounds(node: Context, job_id: QueryId = None) -> list[RoundOut]:
    rows = node.state.rows(
        "select r.job_id, r.round, r.head, r.start_block, "
        "count(c.claim_id) as claims, "
        "coalesce(sum(c.status = 'Accepted'), 0) as accepted, coalesce(sum(c.status = 'Rejected'), 0) as rejected "
        "from rounds r left join claims c on c.job_id = r.job_id and c.round = r.round "
        "where (:job is null or r.job_id = :job) group by r.job_id, r.round order by r.job_id, r.round",
        {"job": job_id},
    )
    return [RoundOut(**row) for row in rows]
