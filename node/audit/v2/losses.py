"""Training curves for the explorer: each claim's per-step losses, read from its transcript at its artifactURI.

The chain holds only the transcript's root; the losses are in the transcript the worker serves, and a fetched
transcript is bound to its claim by that root (node/fetch.py checks the bytes against the id it asked for), so a
curve drawn from it is the one the worker committed to, whatever became of the claim. One row per segment
(its mean loss and the step it ends at) keeps a curve of a long claim small.

Fetching is best effort and never blocks a page: a transcript that cannot be had is recorded with why, and
tried again a few times, at most once a minute, then left; the explorer says how many claims have no curve.
The tables are outside the rebuilt v2 set (node/audit/v2/store.py TABLES), so a rebuild keeps them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import sqlite_utils

from node.fetch import FetchConfig
from verifier.errors import ArtifactUnavailable

LOSSES = "claim_losses"  # (claim_id, segment): worker, job_id, round, end_step, mean_loss
FETCHES = "loss_fetches"  # claim_id: status ok | unavailable | tampered | malformed, reason, attempts, at
MAX_ATTEMPTS = 3
RETRY_AFTER_S = 60.0
# The explorer's live sync must stay quick however many workers are down: one short try per transcript.
LIVE_FETCH = FetchConfig(max_bytes=8 * 1024 * 1024, connect_timeout_s=1.0, read_timeout_s=3.0, deadline_s=10.0,
                         attempts=1)


@dataclass(frozen=True)
class LossFetchResult:
    fetched: int  # transcripts read and stored this time
    failed: int  # tried and not had this time
    waiting: int  # claims left for a later call (over the budget, or retried later)


def _ensure_tables(db: sqlite_utils.Database) -> None:
    if not db[LOSSES].exists():
        db[LOSSES].create({"claim_id": int, "segment": int, "worker": str, "job_id": int, "round": int,
                           "end_step": int, "mean_loss": float}, pk=("claim_id", "segment"))
    if not db[FETCHES].exists():
        db[FETCHES].create({"claim_id": int, "status": str, "reason": str, "attempts": int, "at": float},
                           pk="claim_id")


def due_claims(db: sqlite_utils.Database, now: float) -> list[dict]:
    """Claims (of the rebuilt claims table) whose transcript is still to be read: never tried, or last missing
    more than RETRY_AFTER_S ago and tried fewer than MAX_ATTEMPTS times. Oldest first."""
    if not db["claims"].exists():
        return []
    _ensure_tables(db)
    return [dict(r) for r in db.query(
        f"select c.claim_id, c.job_id, c.round, c.worker, c.transcript_root, c.artifact_uri from claims c "
        f"left join {FETCHES} f on f.claim_id = c.claim_id where f.claim_id is null or (f.status = 'unavailable' "
        "and f.attempts < ? and f.at < ?) order by c.claim_id", (MAX_ATTEMPTS, now - RETRY_AFTER_S))]


def segment_rows(claim: dict, transcript) -> list[dict]:
    """One row per segment: the mean of its k losses, at the step (within the claim) the segment ends on."""
    k = transcript.checkpoint_every
    return [{"claim_id": claim["claim_id"], "segment": s.index, "worker": claim["worker"],
             "job_id": claim["job_id"], "round": claim["round"], "end_step": (s.index + 1) * k,
             "mean_loss": sum(s.losses) / len(s.losses)} for s in transcript.segments]


def store_claim_losses(db: sqlite_utils.Database, evidence, budget: int = 16,
                       now: float | None = None) -> LossFetchResult:
    """Read up to `budget` due transcripts through `evidence` (node/audit/v2/artifacts.py Evidence) and store their
    segment means. A tampered or malformed transcript is recorded as such and never retried."""
    from prover.transcript import Transcript, TranscriptError

    from .artifacts import TamperedArtifact
    from .rebuilt import _b

    now = time.time() if now is None else now
    due = due_claims(db, now)
    fetched = failed = 0
    for claim in due[:budget]:
        status, reason, rows = "ok", "", []
        try:
            data = evidence.fetch(claim["artifact_uri"], _b(claim["transcript_root"]))
            transcript = Transcript.from_bytes(data)
            if transcript.round != claim["round"] or transcript.worker != claim["worker"].lower():
                raise TranscriptError(f"the transcript is of round {transcript.round} by {transcript.worker}, "
                                      f"not of claim {claim['claim_id']}'s round {claim['round']} by "
                                      f"{claim['worker']}")
            rows = segment_rows(claim, transcript)
        except TamperedArtifact as exc:
            status, reason = "tampered", exc.reason
        except ArtifactUnavailable as exc:
            status, reason = "unavailable", exc.reason
        except TranscriptError as exc:
            status, reason = "malformed", str(exc)
        previous = _attempts(db, claim["claim_id"]) if status == "unavailable" else 0
        with db.atomic():
            db[LOSSES].delete_where("claim_id = ?", [claim["claim_id"]])
            if rows:
                db[LOSSES].insert_all(rows, pk=("claim_id", "segment"))
            db[FETCHES].insert({"claim_id": claim["claim_id"], "status": status, "reason": reason[:300],
                                "attempts": previous + 1, "at": now}, pk="claim_id", replace=True)
        fetched += status == "ok"
        failed += status != "ok"
    return LossFetchResult(fetched=fetched, failed=failed, waiting=max(0, len(due) - budget))


def _attempts(db: sqlite_utils.Database, claim_id: int) -> int:
    found = list(db.query(f"select attempts from {FETCHES} where claim_id = ?", (claim_id,)))
    return found[0]["attempts"] if found else 0
