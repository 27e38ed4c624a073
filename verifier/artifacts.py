"""Reading untrusted artifacts and binding them to their ids (PROTOCOL.md §3).

Artifact ids, as the verifier fetches them at `{artifactURI}/artifacts/{hex id}`:
- the transcript is fetched by the claim's `transcriptRoot` (the only handle the chain gives; the root of
  the leaves recomputed from the served bytes must equal it);
- a checkpoint is fetched by its checkpoint id (prover.checkpoint: BLAKE3 over the canonical tensor encoding,
  recomputed from the served safetensors bytes);
- anything else by BLAKE3 of its bytes.

The transcript is parsed *leniently* here (`parse_transcript`): JSON with the right fields and types, but no
rule checked yet, so that a worker who committed to a broken transcript (losses missing, NaN, chain broken)
is rejected by `verifier.structure` with the precise rule, rather than merely failing to parse.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import blake3

from prover.checkpoint import CheckpointError, Tensors, checkpoint_from_bytes
from prover.merkle import merkle_root
from prover.transcript import MAX_TRANSCRIPT_BYTES, Segment, leaf_hash


class MalformedArtifact(ValueError):
    """Bytes that are not a transcript or checkpoint at all: they cannot be bound to any commitment."""


@dataclass(frozen=True)
class TranscriptView:
    """A transcript as served, before any protocol rule is checked; `root` is recomputed from the segments."""

    version: int
    job_key: bytes
    spec_hash: bytes
    round: int
    worker: str
    checkpoint_every: int
    segments: tuple[Segment, ...]  # as listed; indices, chaining and losses still unchecked
    root: bytes


def _field(obj: dict, key: str, kind: type, where: str):
    if key not in obj:
        raise MalformedArtifact(f"{where}: missing field {key!r}")
    value = obj[key]
    if kind is int and (not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= 2**256):
        raise MalformedArtifact(f"{where}.{key} must be a non-negative integer below 2**256, got {value!r}")
    if kind is not int and not isinstance(value, kind):
        raise MalformedArtifact(f"{where}.{key} must be {kind.__name__}, got {type(value).__name__}")
    return value


def _bytes32(value, where: str) -> bytes:
    if not (isinstance(value, str) and len(value) == 66 and value[:2] == "0x"):
        raise MalformedArtifact(f"{where} must be 0x followed by 64 hex digits, got {str(value)[:80]!r}")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise MalformedArtifact(f"{where} is not hex: {value[:80]!r}") from None


def _loss(value, where: str) -> float:
    # NaN and ±Infinity are kept (json.loads accepts them) so that structure can name them; values a float32
    # cannot hold cannot be hashed into a leaf at all.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedArtifact(f"{where} must be a number, got {value!r}")
    value = float(value)
    if math.isfinite(value) and abs(value) > 3.4028234663852886e38:
        raise MalformedArtifact(f"{where}: {value!r} does not fit a float32")
    return value


def parse_transcript(data: bytes) -> TranscriptView:
    """Parse served transcript bytes into a view and recompute its Merkle root; MalformedArtifact if impossible."""
    if len(data) > MAX_TRANSCRIPT_BYTES:
        raise MalformedArtifact(f"transcript is {len(data)} bytes, more than {MAX_TRANSCRIPT_BYTES}")
    try:
        obj = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise MalformedArtifact(f"transcript is not UTF-8 JSON: {e}") from None
    if not isinstance(obj, dict):
        raise MalformedArtifact("transcript must be a JSON object")
    raw_segments = _field(obj, "segments", list, "transcript")
    if not raw_segments:
        raise MalformedArtifact("transcript has no segments")
    segments = []
    for i, s in enumerate(raw_segments):
        where = f"transcript.segments[{i}]"
        if not isinstance(s, dict):
            raise MalformedArtifact(f"{where} must be a JSON object")
        losses = tuple(_loss(x, f"{where}.losses") for x in _field(s, "losses", list, where))
        segments.append(Segment(_field(s, "index", int, where), _bytes32(s.get("start"), f"{where}.start"),
                                _bytes32(s.get("end"), f"{where}.end"), losses))
    return TranscriptView(
        version=_field(obj, "version", int, "transcript"),
        job_key=_bytes32(obj.get("job_key"), "transcript.job_key"),
        spec_hash=_bytes32(obj.get("spec_hash"), "transcript.spec_hash"),
        round=_field(obj, "round", int, "transcript"),
        worker=_field(obj, "worker", str, "transcript"),
        checkpoint_every=_field(obj, "checkpoint_every", int, "transcript"),
        segments=tuple(segments),
        root=merkle_root([leaf_hash(s) for s in segments]),
    )


def decode_checkpoint(data: bytes) -> Tensors:
    """Safetensors bytes to tensors; MalformedArtifact if they are not a checkpoint."""
    try:
        return checkpoint_from_bytes(data)
    except CheckpointError as e:
        raise MalformedArtifact(str(e)) from None


def content_matches(artifact_id: bytes, data: bytes) -> bool:
    """Whether `data` is the artifact named `artifact_id` (raw BLAKE3, checkpoint id, or transcript root).

    The default integrity check of node.fetch.HttpFetcher: every byte is bound to the id before it is used.
    """
    from prover.checkpoint import checkpoint_id

    if blake3.blake3(data).digest() == artifact_id:
        return True
    body = bytes(data[:16]).lstrip()
    try:
        if body.startswith(b"{"):  # JSON: a transcript (a safetensors file starts with its header length)
            return parse_transcript(data).root == artifact_id
        return checkpoint_id(decode_checkpoint(data)) == artifact_id
    except (MalformedArtifact, ValueError, OverflowError):
        return False
