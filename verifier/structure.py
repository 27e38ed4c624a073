"""Structural checks of a claim against its transcript (PROTOCOL.md §5.1). Pure: no fetching, no replay.

Each rule is one small function returning a rejection or None; `check_structure` applies them in order and
returns the first failure. The transcript view is bound to the claim by its root, so every failure here is a
provable fault of the worker (reject), never a network problem.
"""
from __future__ import annotations

import math
from typing import Callable

from prover.spec import JobSpec
from prover.transcript import TRANSCRIPT_VERSION, Transcript, TranscriptError
from verifier.artifacts import TranscriptView
from verifier.claim import Claim
from verifier.verdict import Verdict, reject


def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def root_matches_claim(spec: JobSpec, claim: Claim, head_id: bytes, t: TranscriptView) -> Verdict | None:
    """The transcript's recomputed Merkle root is the claim's transcriptRoot."""
    if t.root != claim.transcript_root:
        return reject("transcript_root", expected=_hex(claim.transcript_root), got=_hex(t.root))
    return None


def claim_builds_on_head(spec: JobSpec, claim: Claim, head_id: bytes, t: TranscriptView) -> Verdict | None:
    """The claim's base is the round's head."""
    if claim.base != head_id:
        return reject("claim_base", expected=_hex(head_id), got=_hex(claim.base))
    return None


def steps_match_spec(spec: JobSpec, claim: Claim, head_id: bytes, t: TranscriptView) -> Verdict | None:
    """steps == H of the spec, and S·k == steps for the transcript's S segments of k."""
    k = spec.checkpoint_every
    if claim.steps != spec.steps_per_claim:
        return reject("steps", expected=spec.steps_per_claim, got=claim.steps, what="claim.steps vs spec H")
    if len(t.segments) * k != claim.steps:
        return reject("steps", expected=claim.steps, got=len(t.segments) * k, what="segments * k",
                      segments=len(t.segments), k=k)
    return None


def header_matches(spec: JobSpec, claim: Claim, head_id: bytes, t: TranscriptView) -> Verdict | None:
    """Version, job key, specHash, round, worker and k in the transcript are those of the spec and the claim.

    The job key is the chain's for the job the claim was submitted to: a transcript trained for another job
    (same spec, round and worker) is rejected here, and would fail replay anyway (other batches)."""
    expected = {
        "version": (TRANSCRIPT_VERSION, t.version),
        "job_key": (_hex(claim.job_key), _hex(t.job_key)),
        "spec_hash": (_hex(spec.spec_hash()), _hex(t.spec_hash)),
        "round": (claim.round, t.round),
        "worker": (claim.worker.lower(), t.worker.lower()),
        "checkpoint_every": (spec.checkpoint_every, t.checkpoint_every),
    }
    for name, (want, got) in expected.items():
        if want != got:
            return reject(f"transcript_{name}", expected=want, got=got)
    return None


def indices_contiguous(spec: JobSpec, claim: Claim, head_id: bytes, t: TranscriptView) -> Verdict | None:
    """Segment j carries index j, for j = 0..S-1."""
    for j, s in enumerate(t.segments):
        if s.index != j:
            return reject("segment_index", segment=j, expected=j, got=s.index)
    return None


def losses_well_formed(spec: JobSpec, claim: Claim, head_id: bytes, t: TranscriptView) -> Verdict | None:
    """Every segment has k losses, all finite."""
    k = spec.checkpoint_every
    for j, s in enumerate(t.segments):
        if len(s.losses) != k:
            return reject("losses_count", segment=j, expected=k, got=len(s.losses))
        for i, x in enumerate(s.losses):
            if not math.isfinite(x):
                return reject("losses_finite", segment=j, step=j * k + i, got=repr(x))
    return None


def starts_at_head(spec: JobSpec, claim: Claim, head_id: bytes, t: TranscriptView) -> Verdict | None:
    """start_0 == the round's head."""
    if t.segments[0].start_id != head_id:
        return reject("start_is_head", segment=0, expected=_hex(head_id), got=_hex(t.segments[0].start_id))
    return None


def segments_chain(spec: JobSpec, claim: Claim, head_id: bytes, t: TranscriptView) -> Verdict | None:
    """start_{j+1} == end_j for every j."""
    for j in range(len(t.segments) - 1):
        if t.segments[j + 1].start_id != t.segments[j].end_id:
            return reject("chain", segment=j + 1, expected=_hex(t.segments[j].end_id),
                          got=_hex(t.segments[j + 1].start_id))
    return None


def ends_at_result(spec: JobSpec, claim: Claim, head_id: bytes, t: TranscriptView) -> Verdict | None:
    """end_{S-1} == the claimed result."""
    last = len(t.segments) - 1
    if t.segments[last].end_id != claim.result:
        return reject("end_is_result", segment=last, expected=_hex(claim.result), got=_hex(t.segments[last].end_id))
    return None


def prover_rules_hold(spec: JobSpec, claim: Claim, head_id: bytes, t: TranscriptView) -> Verdict | None:
    """Belt and braces: the prover's own Transcript validation accepts it (float32 losses, types, ...)."""
    try:
        Transcript(job_key=t.job_key, spec_hash=t.spec_hash, round=t.round, worker=t.worker, checkpoint_every=t.checkpoint_every,
                   segments=t.segments, version=t.version)
    except (TranscriptError, ValueError, TypeError) as e:
        return reject("transcript_invalid", detail=str(e)[:500])
    return None


RULES: tuple[Callable[[JobSpec, Claim, bytes, TranscriptView], Verdict | None], ...] = (
    root_matches_claim, claim_builds_on_head, steps_match_spec, header_matches, indices_contiguous,
    losses_well_formed, starts_at_head, segments_chain, ends_at_result, prover_rules_hold,
)


def check_structure(spec: JobSpec, claim: Claim, head_id: bytes, transcript: TranscriptView) -> Verdict | None:
    """The first structural rule the claim breaks, as a rejection; None if all hold."""
    for rule in RULES:
        verdict = rule(spec, claim, head_id, transcript)
        if verdict is not None:
            return verdict
    return None
