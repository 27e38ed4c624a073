"""A juror's judgement of the segments a dispute names (PROTOCOL.md v2 §4.3, contracts/v2.md "Dispute and jury").

verify_claim decides one vote on a whole claim; a juror votes once per named segment (bit i of its verdict =
the dispute's segment i is faulty), and an approver is slashed iff its own sample holds a proven-faulty
segment. So each named segment is judged on its own, with verify.py's stages:

- faulty, every named segment: the transcript is unavailable or malformed, a structure fault located at no
  segment (root, base, steps, header, the prover's rules), or the claimed result unavailable, not bound to its
  id or of the wrong layout (every verifier checks the result whatever its sample, and a claim whose result
  nobody can download cannot be aggregated);
- faulty, that segment: the first structure fault check_structure finds, when it names a segment; its start
  (and, in tolerance mode, end) checkpoint unavailable, not hashing to its id, malformed or of the wrong layout;
  its replay not matching; in tolerance mode, its residual aligned with another named segment's (drift);
- not faulty, with `juror_side: True` in the reason: what is the juror's own problem, not the worker's: bad
  node-supplied inputs (claim fields, seed, address, a segment index outside the claim), a replay that could
  not run under the spec's numerics profile, an internal error.

Unavailable counts as faulty: a worker that withholds data must lose (availability is its burden). Pure: no
I/O except through `fetch`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from prover.models.registry import build_model
from prover.spec import JobSpec
from prover.transcript import Segment
from verifier.claim import Claim
from verifier.drift import RESIDUAL_COS_MAX, pairwise_cosines
from verifier.replay import replay_segment
from verifier.replay_source import Replay
from verifier.structure import check_structure
from verifier.verdict import Verdict
from verifier.verify import (UNBOUND_CHECKPOINT, Checkpoints, Fetch, Replayed, bad_inputs, bad_segments,
                             check_segment, result_fault, served_transcript)


@dataclass(frozen=True)
class SegmentFinding:
    """One named segment's judgement; `reason` is JSON-able, its `check` names the rule that decided."""

    segment: int
    faulty: bool
    reason: dict[str, Any]


@dataclass(frozen=True)
class SegmentJudgement:
    """One finding per named segment, in the order named.

    `structure_fault` is the transcript's first structure fault when it names a segment (that segment is faulty
    whether named or not: a challenger adds it, verifier/challenge.py)."""

    findings: tuple[SegmentFinding, ...]
    structure_fault: dict[str, Any] | None = None

    @property
    def faulty_segments(self) -> list[int]:
        """The named segments found faulty, in the order named, each once."""
        return list(dict.fromkeys(f.segment for f in self.findings if f.faulty))

    def to_json(self) -> dict[str, Any]:
        """The judgement as a plain dict, for the node's local record."""
        return {"findings": [{"segment": f.segment, "faulty": f.faulty, "reason": f.reason} for f in self.findings],
                "structure_fault": self.structure_fault}


def verdict_mask(judgement: SegmentJudgement) -> int:
    """The juror's `verdicts` word: bit i set iff the i-th named segment is faulty."""
    return sum(1 << i for i, f in enumerate(judgement.findings) if f.faulty)


def _juror_side(check: str, **details: Any) -> dict[str, Any]:
    return {"check": check, "juror_side": True, **details}


def _every(segments: list, faulty: bool, reason: dict[str, Any]) -> SegmentJudgement:
    return SegmentJudgement(tuple(SegmentFinding(j, faulty, reason) for j in segments))


def judge_segments(spec: JobSpec, claim: Claim, head_id: bytes, seed: bytes, juror_address: str, fetch: Fetch,
                   segments: list[int], replay: Replay | None = None) -> SegmentJudgement:
    """Faulty or not, with a reason, for each of `segments` (in that order); never raises on bad data."""
    if not isinstance(segments, (list, tuple)):
        raise TypeError(f"segments must be a list of segment indices, got {type(segments).__name__}")
    named = list(segments)
    try:
        return _judge(spec, claim, head_id, seed, juror_address, fetch, named, replay or replay_segment)
    except Exception as e:  # the juror's bug or an unforeseen input is no evidence against the worker
        return _every(named, False, _juror_side("internal_error", error=f"{type(e).__name__}: {e}"[:500]))


def _judge(spec: JobSpec, claim: Claim, head_id: bytes, seed: bytes, juror_address: str, fetch: Fetch,
           named: list, replay: Replay) -> SegmentJudgement:
    problem = bad_inputs(claim, head_id, seed, juror_address)
    if problem:
        return _every(named, False, _juror_side("bad_input", detail=problem))
    transcript = served_transcript(spec, claim, fetch)
    if isinstance(transcript, Verdict):  # unavailable or malformed: the worker's burden
        return _every(named, True, {**transcript.reason, "claim_wide": True})
    structure = check_structure(spec, claim, head_id, transcript)
    if structure is not None and "segment" not in structure.reason:
        return _every(named, True, {**structure.reason, "claim_wide": True})
    checkpoints = Checkpoints(fetch, spec)
    model = build_model(spec)
    fault = result_fault(spec, claim, transcript, checkpoints, model)
    if fault is not None:
        return _every(named, True, {**fault.reason, "claim_wide": True})

    located = structure.reason if structure is not None else None
    judged: dict[int, SegmentFinding] = {}
    replayed: dict[int, Replayed] = {}
    for j in dict.fromkeys(named):  # a segment named twice is judged once
        problem = bad_segments([j], len(transcript.segments))
        if problem:
            judged[j] = SegmentFinding(j, False, _juror_side("bad_input", detail=problem))
        elif located is not None and located["segment"] == j:
            judged[j] = SegmentFinding(j, True, located)
        else:
            judged[j] = _judge_one(spec, claim, j, transcript.segments[j], checkpoints, model, replay, replayed)
    for j, reason in _drifting(replayed).items():
        judged[j] = SegmentFinding(j, True, reason)
    return SegmentJudgement(tuple(judged[j] for j in named), located)


def _judge_one(spec: JobSpec, claim: Claim, j: int, segment: Segment, checkpoints: Checkpoints,
               model: torch.nn.Module, replay: Replay, replayed: dict[int, Replayed]) -> SegmentFinding:
    """Segment j on its own evidence; a matching replay is kept in `replayed` for the drift rule."""
    try:
        outcome = check_segment(spec, claim, j, segment, checkpoints, model, replay)
    except Exception as e:  # e.g. the replayer crashed: the juror's problem, not a proof against the worker
        return SegmentFinding(j, False, _juror_side("internal_error", segment=j,
                                                    error=f"{type(e).__name__}: {e}"[:500]))
    if isinstance(outcome, Replayed):
        replayed[j] = outcome
        return SegmentFinding(j, False, {"check": "replay_matches", "segment": j, "mode": spec.verification_mode})
    if outcome.decision == "reject" or outcome.reason["check"] in UNBOUND_CHECKPOINT:
        return SegmentFinding(j, True, outcome.reason)
    return SegmentFinding(j, False, {**outcome.reason, "juror_side": True})  # the replay did not run


def _drifting(replayed: dict[int, Replayed]) -> dict[int, dict[str, Any]]:
    """Tolerance mode: every replayed segment whose residual is aligned with another's (verifier/drift.py)."""
    residuals = {j: r.residual for j, r in replayed.items() if r.residual is not None}
    out: dict[int, dict[str, Any]] = {}
    for a, b, cos in pairwise_cosines(residuals):
        if not cos <= RESIDUAL_COS_MAX:  # NaN counts as aligned, as in residual_drift
            for j, other in ((a, b), (b, a)):
                out.setdefault(j, {"check": "residual_drift", "mode": "tolerance", "segment": j, "with": other,
                                   "cosine": cos, "threshold": RESIDUAL_COS_MAX})
    return out
