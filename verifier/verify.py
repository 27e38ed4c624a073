"""verify_claim: the whole of PROTOCOL.md §5 for one claim, as a pure function of its inputs and `fetch`.

    fetch transcript (by transcriptRoot) -> structure -> sample s draws of keccak(seed, claimId, verifier, i)
    -> for each: fetch start (and, in tolerance mode, end) checkpoint, check ids and layout, replay, compare
    -> Verdict

Decision rules (a wrong vote costs a verifier its stake, so it only ever votes on evidence bound to the
claim by hashes):
- reject: the transcript whose root is the claim's, or a checkpoint whose id that transcript commits to,
  proves the claim wrong (structure, layout, replay). A well-formed transcript served under the claim's root
  whose root is different is also a rejection: the worker's own server answered for its claim with it;
- abstain: anything that cannot be bound to the claim — unreachable server, time-out, 404, oversize, wrong
  content type, bytes that do not hash to the id asked for, unparseable bytes, an unexpected error;
- approve: every check passed on every sampled segment.
Never raises: every failure becomes a Verdict with a reason.

Sizes come from the spec before bytes are parsed (PROTOCOL.md §3, prover/bounds.py): each fetch is told the
bound of its artifact's kind, bytes over it are refused unparsed (abstain: oversize), and a checkpoint's
safetensors header is checked before any tensor is built; a header that is well-formed but of the wrong
layout is rejected once its id (hashed from the raw bytes) is the one the transcript commits to.

`segments=[...]` replays exactly those segments instead of the sample (a juror's or challenger's check of named
segments, verifier/jury.py); the per-claim and per-segment stages below are shared with it.

In exact mode only start checkpoints are fetched: the replayed end's id is compared with end_j, so the end
checkpoint itself adds nothing. The claimed result is always fetched (id and layout checked): a claim whose
result nobody can download could not be aggregated into the next head.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import torch

from eth_utils import is_address

from prover.bounds import max_checkpoint_bytes, max_transcript_bytes
from prover.checkpoint import Tensors, checkpoint_id
from prover.models.registry import build_model
from prover.spec import JobSpec
from prover.transcript import Segment
from verifier.artifacts import (MalformedArtifact, TranscriptView, decode_checkpoint, inspect_checkpoint,
                                parse_transcript)
from verifier.claim import Claim
from verifier.errors import ArtifactMismatch, ArtifactUnavailable
from verifier.drift import RESIDUAL_COS_MAX, pairwise_cosines, param_residual, residual_drift
from verifier.replay import compare_exact, compare_tolerance, layout_fault, replay_segment
from verifier.replay_source import Replay, ReplayUnavailable
from verifier.sampling import sample_segments, segments_to_replay, with_distinct_segments
from verifier.structure import check_structure
from verifier.verdict import Verdict, abstain, approve, reject

# fetch(artifact_id) -> bytes; a fetch that also takes `max_bytes=` (node.fetch.HttpFetcher) is told the bound
# of the artifact kind asked for, so it can refuse a larger body before reading it.
Fetch = Callable[..., bytes]


def _fetch_at_most(fetch: Fetch, artifact_id: bytes, max_bytes: int) -> bytes:
    """fetch(artifact_id), bounded where the fetch supports it; the parsers re-check the size either way."""
    try:
        params = inspect.signature(fetch).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: they are plain one-argument fetches
        params = ()
    if any(p.name == "max_bytes" or p.kind is p.VAR_KEYWORD for p in params):
        return fetch(artifact_id, max_bytes=max_bytes)
    return fetch(artifact_id)


def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def bad_inputs(claim: Claim, head_id: bytes, seed: bytes, verifier_address: str) -> str | None:
    """What is wrong with the node-supplied inputs (not the worker's fault), if anything."""
    for name, value in (("head_id", head_id), ("seed", seed), ("claim.base", claim.base),
                        ("claim.result", claim.result), ("claim.transcript_root", claim.transcript_root),
                        ("claim.job_key", claim.job_key)):
        if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
            return f"{name} must be 32 bytes, got {value!r}"[:200]
    if not is_address(verifier_address):
        return f"verifier_address is not an address: {verifier_address!r}"
    if not (isinstance(claim.worker, str) and is_address(claim.worker)):
        return f"claim.worker is not an address: {claim.worker!r}"
    for name in ("claim_id", "round", "steps"):
        v = getattr(claim, name)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            return f"claim.{name} must be a non-negative integer, got {v!r}"
    return None


class Checkpoints:
    """Fetches checkpoints once per verification and binds each to its id."""

    def __init__(self, fetch: Fetch, spec: JobSpec):
        self._fetch = fetch
        self._spec = spec
        self._cache: dict[bytes, Tensors] = {}

    def get(self, cid: bytes, **where) -> Tensors | Verdict:
        """The tensors, or an abstention (bytes not bound to cid), or a rejection (cid's layout is wrong)."""
        if cid in self._cache:
            return self._cache[cid]
        try:
            data = _fetch_at_most(self._fetch, cid, max_checkpoint_bytes(self._spec))
        except ArtifactMismatch as e:
            return abstain("checkpoint_mismatch", checkpoint=_hex(cid), detail=e.reason, **where)
        except ArtifactUnavailable as e:
            return abstain("checkpoint_unavailable", checkpoint=_hex(cid), detail=e.reason, **where)
        try:  # size, header and id first: no tensor is built for bytes of the wrong size or layout
            seen = inspect_checkpoint(self._spec, data)
        except MalformedArtifact as e:
            return abstain("checkpoint_malformed", checkpoint=_hex(cid), detail=str(e)[:300], **where)
        if seen.id != cid:
            return abstain("checkpoint_mismatch", checkpoint=_hex(cid), got=_hex(seen.id), **where)
        if seen.layout_problem is not None:  # the transcript commits to this id: the worker's provable fault
            return reject("checkpoint_layout", segment=where.get("segment"), checkpoint=where.get("checkpoint_role"),
                          detail=seen.layout_problem[:500])
        try:
            tensors = decode_checkpoint(data)
        except MalformedArtifact as e:
            return abstain("checkpoint_malformed", checkpoint=_hex(cid), detail=str(e)[:300], **where)
        got = checkpoint_id(tensors)
        if got != cid:
            return abstain("checkpoint_mismatch", checkpoint=_hex(cid), got=_hex(got), **where)
        self._cache[cid] = tensors
        return tensors


def verify_claim(spec: JobSpec, claim: Claim, head_id: bytes, seed: bytes, verifier_address: str,
                 fetch: Fetch, samples: int | None = None, every_segment: bool = False,
                 replay: Replay | None = None, segments: list[int] | None = None) -> Verdict:
    """Approve, reject or abstain on one claim (PROTOCOL.md §5); never raises.

    `samples` overrides the spec's samples_per_verifier (draws, with replacement); `every_segment` replays all
    S segments instead of a sample (an auditor's full replay); `segments` replays exactly those segment indices
    instead of the sample (structure and result are checked as always). `replay` replays a segment under the
    spec's numerics profile (verifier/replay_source.py); None: in this process, which the caller has checked
    runs that profile.
    """
    try:
        return _verify(spec, claim, head_id, seed, verifier_address, fetch,
                       spec.samples_per_verifier if samples is None else samples, every_segment,
                       replay or replay_segment, segments)
    except Exception as e:  # a bug or an unforeseen input must cost a vote, never the node
        return abstain("internal_error", error=f"{type(e).__name__}: {e}"[:500])


def served_transcript(spec: JobSpec, claim: Claim, fetch: Fetch) -> TranscriptView | Verdict:
    """The transcript the worker serves under the claim's root, parsed (structure not yet checked), or an
    abstention: unavailable, or bytes that are not a transcript."""
    try:
        data = _fetch_at_most(fetch, claim.transcript_root, max_transcript_bytes(spec))
    except ArtifactMismatch as e:
        data = e.data  # maybe a well-formed transcript with another root: structure judges it
    except ArtifactUnavailable as e:
        return abstain("transcript_unavailable", detail=e.reason)
    try:
        return parse_transcript(data, max_bytes=max_transcript_bytes(spec), max_segments=spec.segments_per_claim)
    except MalformedArtifact as e:
        return abstain("transcript_malformed", detail=str(e)[:300])


def result_fault(spec: JobSpec, claim: Claim, transcript: TranscriptView, checkpoints: Checkpoints,
                 model: torch.nn.Module) -> Verdict | None:
    """The claimed result must be downloadable and fit the model (it is what gets aggregated)."""
    last = len(transcript.segments) - 1
    result = checkpoints.get(claim.result, segment=last, checkpoint_role="result")
    if isinstance(result, Verdict):
        return result
    return layout_fault(spec, model, result, last, "result")


# Abstentions of Checkpoints.get: bytes not bound to the id asked for (or none at all).
UNBOUND_CHECKPOINT = frozenset({"checkpoint_unavailable", "checkpoint_mismatch", "checkpoint_malformed"})


@dataclass(frozen=True)
class Replayed:
    """A segment whose replay matched; tolerance mode also keeps what the drift rule needs."""

    measured: dict | None = None  # distances per group
    residual: torch.Tensor | None = None  # W_end − W′


def check_segment(spec: JobSpec, claim: Claim, j: int, segment: Segment, checkpoints: Checkpoints,
                  model: torch.nn.Module, replay: Replay) -> Verdict | Replayed:
    """Segment j's evidence: its start (and, in tolerance mode, end) checkpoint fetched, bound to its id and of
    the model's layout, then replayed and compared. A rejection is the worker's provable fault; an abstention
    is a checkpoint not bound to its id (UNBOUND_CHECKPOINT) or a replay that did not happen."""
    start = checkpoints.get(segment.start_id, segment=j, checkpoint_role="start")
    if isinstance(start, Verdict):
        return start
    fault = layout_fault(spec, model, start, j, "start")
    if fault is not None:
        return fault
    end = None
    if spec.verification_mode == "tolerance":
        end = checkpoints.get(segment.end_id, segment=j, checkpoint_role="end")
        if isinstance(end, Verdict):
            return end
        fault = layout_fault(spec, model, end, j, "end")
        if fault is not None:
            return fault
    try:
        replayed_end, replayed_losses = replay(spec, claim, segment, start)
    except ReplayUnavailable as e:  # not under the spec's profile: no evidence either way
        return abstain(e.check, segment=j, profile=spec.numerics.profile, **e.details)
    if spec.verification_mode == "exact":
        return compare_exact(segment, replayed_end, replayed_losses) or Replayed()
    fault, measured = compare_tolerance(spec, segment, start, end, replayed_end, replayed_losses)
    return fault or Replayed(measured, param_residual(end, replayed_end))


def bad_segments(segments: list[int], n_segments: int) -> str | None:
    """What is wrong with a node-supplied list of segment indices to replay, if anything."""
    if not isinstance(segments, (list, tuple)) or not segments:
        return f"segments must be a non-empty list of segment indices, got {segments!r}"[:200]
    for j in segments:
        if not isinstance(j, int) or isinstance(j, bool) or not 0 <= j < n_segments:
            return f"segments: {j!r} is not a segment index in [0, {n_segments})"[:200]
    return None


def _verify(spec: JobSpec, claim: Claim, head_id: bytes, seed: bytes, verifier_address: str,
            fetch: Fetch, samples: int, every_segment: bool, replay: Replay = replay_segment,
            segments: list[int] | None = None) -> Verdict:
    problem = bad_inputs(claim, head_id, seed, verifier_address)
    if problem:
        return abstain("bad_input", detail=problem)

    # 1. Structure, on the transcript the worker serves under the claim's root.
    transcript = served_transcript(spec, claim, fetch)
    if isinstance(transcript, Verdict):
        return transcript
    fault = check_structure(spec, claim, head_id, transcript)
    if fault is not None:
        return fault

    checkpoints = Checkpoints(fetch, spec)
    model = build_model(spec)  # the layout every checkpoint must have
    fault = result_fault(spec, claim, transcript, checkpoints, model)
    if fault is not None:
        return fault

    # 2. Sample. 3. Replay.
    n_segments = len(transcript.segments)
    if segments is not None:
        problem = bad_segments(segments, n_segments)
        if problem:
            return abstain("bad_input", detail=problem)
        draws = list(segments)
    else:
        draws = list(range(n_segments)) if every_segment else sample_segments(seed, claim.claim_id,
                                                                               verifier_address, n_segments, samples)
        if spec.verification_mode == "tolerance" and samples >= 2:
            draws = with_distinct_segments(seed, claim.claim_id, verifier_address, n_segments, draws, 2)
    sample = segments_to_replay(draws)
    unavailable: list[dict] = []
    measured: dict[int, dict] = {}
    residuals: dict = {}  # tolerance mode: W_end − W′ per replayed segment, for the drift rule after the loop
    for j in sample:
        outcome = check_segment(spec, claim, j, transcript.segments[j], checkpoints, model, replay)
        if isinstance(outcome, Verdict) and outcome.decision == "abstain" and outcome.reason["check"] in UNBOUND_CHECKPOINT:
            unavailable.append(outcome.reason)
            continue
        if isinstance(outcome, Verdict):
            return outcome
        if outcome.measured is not None:
            measured[j], residuals[j] = outcome.measured, outcome.residual

    # Each segment is within delta; their residuals must not also point one way (drift, verifier/drift.py).
    # Proven by the replayed segments alone, so it rejects even when other segments could not be fetched.
    drift = residual_drift(residuals)
    if drift is not None:
        return reject("residual_drift", mode="tolerance", segments=[drift[0], drift[1]], cosine=drift[2],
                      threshold=RESIDUAL_COS_MAX)

    if unavailable:
        return abstain("checkpoint_unavailable", segments=sorted(r.get("segment") for r in unavailable),
                       missing=unavailable, replayed_ok=[j for j in sample if j not in
                                                         {r.get("segment") for r in unavailable}])
    details = {"mode": spec.verification_mode, "segments": sorted(sample), "draws": draws}
    if measured:
        details["max_distance"] = max(v for d in measured.values() for g, v in d.items() if g != "update_ratio")
        details["min_update_ratio"] = min(d["update_ratio"] for d in measured.values())
        # s = 1 gives no pair: the residual rule then rests on other verifiers' samples (PROTOCOL.md §5.3)
        details["residual_cosines"] = [round(c, 6) for _, _, c in pairwise_cosines(residuals)]
    return approve(**details)
