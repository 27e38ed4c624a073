"""Reading untrusted artifacts and binding them to their ids (PROTOCOL.md §3).

Artifact ids, as the verifier fetches them at `{artifactURI}/artifacts/{hex id}`:
- the transcript is fetched by the claim's `transcriptRoot` (the only handle the chain gives; the root of
  the leaves recomputed from the served bytes must equal it);
- a checkpoint is fetched by its checkpoint id (prover.checkpoint: BLAKE3 over the canonical tensor encoding,
  recomputed from the served safetensors bytes);
- anything else by BLAKE3 of its bytes.

Sizes are bounded before bytes are parsed (PROTOCOL.md §3, prover/bounds.py): `parse_transcript` refuses bytes
over its `max_bytes`, JSON nested deeper than a transcript is, and more segments than `max_segments` before any
segment is built; `inspect_checkpoint` refuses a checkpoint over the spec's size and checks its safetensors
header (names, dtypes, shapes, offsets) against the spec's layout before any tensor exists.

The transcript is parsed *leniently* here (`parse_transcript`): JSON with the right fields and types, but no
rule checked yet, so that a worker who committed to a broken transcript (losses missing, NaN, chain broken)
is rejected by `verifier.structure` with the precise rule, rather than merely failing to parse.
"""
from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import blake3

from prover.bounds import expected_layout, max_checkpoint_bytes, max_header_bytes
from prover.checkpoint import (CheckpointError, CheckpointHeader, Tensors, checkpoint_from_bytes,
                               checkpoint_id_from_bytes, read_header)
from prover.merkle import merkle_root
from prover.spec import JobSpec
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


# A transcript nests object > segments > segment > losses: 4 levels. A little room for header fields; anything
# deeper is refused by a scan before json.loads, whose own guard is the interpreter's recursion limit.
MAX_JSON_DEPTH = 8
# A JSON string (skipped whole: brackets inside it do not nest) or one bracket.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _check_nesting(data: bytes, max_segments: int | None) -> None:
    """Refuse, in O(len(data)) without building objects, more brackets than S segments can have, or nesting
    deeper than MAX_JSON_DEPTH."""
    if max_segments is not None:
        # One object and one losses list per segment, plus the top object and the segments list. Brackets in
        # strings count too: a valid transcript's strings are hex, so only invalid ones are over-counted.
        for bracket, what in ((b"{", "objects"), (b"[", "lists")):
            n = data.count(bracket)
            if n > max_segments + 1:
                raise MalformedArtifact(f"transcript holds {n} JSON {what} ({bracket.decode()!r}), more than the "
                                        f"{max_segments + 1} of a transcript of at most {max_segments} segments")
    depth = 0
    for m in _JSON_TOKEN.finditer(data):
        c = data[m.start()]
        if c in b"[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise MalformedArtifact(f"transcript nests JSON deeper than {MAX_JSON_DEPTH} levels "
                                        f"(at byte {m.start()})")
        elif c in b"]}":
            depth -= 1


def parse_transcript(data: bytes, *, max_bytes: int = MAX_TRANSCRIPT_BYTES,
                     max_segments: int | None = None) -> TranscriptView:
    """Parse served transcript bytes into a view and recompute its Merkle root; MalformedArtifact if impossible.

    `max_bytes` (prover.bounds.max_transcript_bytes) and `max_segments` (S) refuse oversize input before it
    is parsed and a transcript of more than S segments before any segment is built.
    """
    if len(data) > max_bytes:
        raise MalformedArtifact(f"transcript is {len(data)} bytes, more than the {max_bytes} a transcript of this "
                                "job can have")
    data = bytes(data)
    # The same bytes are parsed twice in a row on the hot path (the fetcher binds them to the root, then the
    # verifier reads them): 60-80 ms each for a 30,000-step claim. The view is immutable, so the second gets
    # the first's, keyed by a digest of every byte.
    digest = blake3.blake3(data).digest()
    with _RECENT_LOCK:
        view = _RECENT_VIEWS.get(digest)
    if view is not None:
        _check_segment_count(len(view.segments), max_segments)
        return view
    view = _parse_transcript(data, max_segments)
    with _RECENT_LOCK:
        _RECENT_VIEWS[digest] = view
        while len(_RECENT_VIEWS) > RECENT_VIEWS_KEPT:
            _RECENT_VIEWS.popitem(last=False)
    return view


RECENT_VIEWS_KEPT = 8
_RECENT_VIEWS: OrderedDict[bytes, TranscriptView] = OrderedDict()
_RECENT_LOCK = threading.Lock()


def _check_segment_count(n: int, max_segments: int | None) -> None:
    if max_segments is not None and n > max_segments:
        raise MalformedArtifact(f"transcript lists {n} segments, more than the spec's S = {max_segments}")


def _parse_transcript(data: bytes, max_segments: int | None) -> TranscriptView:
    _check_nesting(data, max_segments)
    try:
        obj = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise MalformedArtifact(f"transcript is not UTF-8 JSON: {e}") from None
    if not isinstance(obj, dict):
        raise MalformedArtifact("transcript must be a JSON object")
    raw_segments = _field(obj, "segments", list, "transcript")
    if not raw_segments:
        raise MalformedArtifact("transcript has no segments")
    _check_segment_count(len(raw_segments), max_segments)
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


@dataclass(frozen=True)
class CheckpointBytes:
    """Served checkpoint bytes whose header was read and id hashed, no tensor built yet."""

    id: bytes  # the checkpoint id of these bytes (prover.checkpoint encoding)
    header: CheckpointHeader
    layout_problem: str | None  # how the header differs from the spec's layout; None when it fits


def inspect_checkpoint(spec: JobSpec, data: bytes) -> CheckpointBytes:
    """Size, header and id of checkpoint bytes, checked before any tensor is built (MalformedArtifact when they
    are not a safetensors checkpoint of at most the spec's size). A layout that differs from the spec's is
    reported, not raised: once the id is known to be committed to, it is the worker's provable fault."""
    limit = max_checkpoint_bytes(spec)
    if len(data) > limit:
        raise MalformedArtifact(f"checkpoint is {len(data)} bytes, more than the {limit} a checkpoint of spec "
                                f"model {spec.model!r} can have")
    try:  # a header longer than the layout's widest is refused before its JSON is read
        header = read_header(data, max_header_bytes=max_header_bytes(spec))
        cid = checkpoint_id_from_bytes(data, header)
    except CheckpointError as e:
        raise MalformedArtifact(f"checkpoint: {e}") from None
    return CheckpointBytes(cid, header, _layout_problem(spec, header))


def _layout_problem(spec: JobSpec, header: CheckpointHeader) -> str | None:
    layout = expected_layout(spec)
    missing, unexpected = sorted(set(layout) - set(header.tensors)), sorted(set(header.tensors) - set(layout))
    if missing or unexpected:
        return (f"checkpoint does not fit spec model {spec.model!r}: missing {missing[:5]}, "
                f"unexpected {[n[:100] for n in unexpected[:5]]}")
    for name, (dtype, shape) in layout.items():
        e = header.tensors[name]
        if e.dtype != dtype or e.shape != shape:
            return f"checkpoint tensor {name!r} is {e.dtype} {e.shape}, expected {dtype} {shape}"
    return None


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
    if blake3.blake3(data).digest() == artifact_id:
        return True
    body = bytes(data[:16]).lstrip()
    try:
        if body.startswith(b"{"):  # JSON: a transcript (a safetensors file starts with its header length)
            return parse_transcript(data).root == artifact_id
        return checkpoint_id_from_bytes(data) == artifact_id  # header, then the raw slices: no tensor built
    except (MalformedArtifact, ValueError, OverflowError):
        return False
