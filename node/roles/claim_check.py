"""What a verifier needs to judge a claim it holds in node.db: the verifier/ Claim, the round's head as the chain
recorded it, and a fetch from the worker's artifactURI. Shared by the committee member and the juror
(roles/v2/), so both judge exactly the same evidence."""
from __future__ import annotations

from typing import Callable

from .runtime import Runtime


def b32(hex_value: str) -> bytes:
    return bytes.fromhex(hex_value[2:] if hex_value.startswith("0x") else hex_value)


def subject_of(rt: Runtime, claim: dict):
    from verifier.claim import Claim

    return Claim(claim_id=claim["claim_id"], worker=claim["worker"], round=claim["round"], base=b32(claim["base"]),
                 result=b32(claim["result"]), transcript_root=b32(claim["transcript_root"]), steps=claim["steps"],
                 job_key=rt.job_key)


def round_head(rt: Runtime, round_: int) -> bytes:
    """The head the chain started round `round_` with (RoundStarted), not the claim's own `base`: checking
    start == head against the claim itself would prove nothing."""
    row = rt.state.one("select head from rounds where job_id = ? and round = ?", (rt.job_id, round_))
    if row is None:  # the follower has not seen the round start yet: the chain's current head is its head
        job = rt.job()
        if job["round"] != round_:
            raise LookupError(f"round {round_} of job {rt.job_id} is neither stored nor current")
        return job["head"]
    return b32(row["head"])


def fetch_for(rt: Runtime, claim: dict) -> Callable | None:
    """The worker's fetcher, or None when its artifactURI is not a URL a verifier will call."""
    from ..fetch import InvalidArtifactURI

    try:
        return rt.fetcher(claim["artifact_uri"])
    except InvalidArtifactURI:
        return None
