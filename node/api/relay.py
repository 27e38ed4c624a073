"""POST /relay/approvals: a committee member hands its EIP-712 approval to this aggregator, which relays it with
the others in one approveBatch (node/roles/v2/relay_batch.py). The handler only queues the signature, bounded;
the role loop checks it against the chain, so a forged or stale one costs its sender one request and nothing
else (it never reaches a batch)."""
from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from .bounds import INT64_MAX
from .context import Context

router = APIRouter(prefix="/relay", tags=["relay"])

INBOX_CAP = 4096  # queued, unchecked signatures; a tick or two empties it


class ApprovalIn(BaseModel):
    claim_id: int = Field(ge=1, le=INT64_MAX, description="the claim approved")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$",
                           description="65 bytes r ‖ s ‖ v over EIP-712 Approval(claimId, transcriptRoot, seed)")


class Queued(BaseModel):
    queued: bool
    claim_id: int


@router.post("/approvals", status_code=202, response_model=Queued, responses={404: {}, 422: {}, 429: {}})
def post_approval(body: ApprovalIn, node: Context) -> Queued:
    """Queue a member's signed approval; 404 on a node that relays none, 429 while the queue is full."""
    if not node.relays_approvals:
        raise HTTPException(404, f"this {node.role} node relays no approvals: send them to an aggregator")
    if node.state.one("select count(*) as n from relay_inbox")["n"] >= INBOX_CAP:
        raise HTTPException(429, f"the relay queue is full ({INBOX_CAP} unchecked approvals): retry shortly",
                            headers={"Retry-After": "2"})
    node.state.db["relay_inbox"].insert({"claim_id": body.claim_id, "signature": body.signature.lower(),
                                         "received_at": time.time()}, pk=("claim_id", "signature"), ignore=True)
    return Queued(queued=True, claim_id=body.claim_id)
