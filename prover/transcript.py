"""The transcript of a claim: S segments of k steps, each with start and end checkpoint ids and k losses.

Decided here (PROTOCOL.md §3):
- leaf_j = keccak256(abi.encode(uint256 j, bytes32 start_j, bytes32 end_j, bytes32 lossesHash_j)) with
  lossesHash_j = keccak256(the k losses as float32 little-endian bytes, concatenated);
- transcriptRoot = prover.merkle root of the leaves;
- the byte encoding is canonical JSON (sorted keys, no spaces, UTF-8), fields
  {"checkpoint_every", "job_key", "round", "segments": [{"end","index","losses","start"}], "spec_hash",
  "version", "worker"}; the header (job_key, spec_hash, round, worker, k) binds the work to one job's claim; ids and hashes are 0x + lowercase hex, the worker address lowercase; losses are JSON numbers that
  are exactly float32 values and finite. `from_bytes` accepts only the canonical bytes of a valid transcript:
  anything else (other spacing, key order, a float that is not float32, broken chaining) is a TranscriptError.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from prover.merkle import merkle_proof, merkle_root

TRANSCRIPT_VERSION = 2  # 2: the header binds the job key (PROTOCOL.md v2 §3)
MAX_TRANSCRIPT_BYTES = 64 * 1024 * 1024  # untrusted input: refuse before parsing anything absurd


class TranscriptError(ValueError):
    """A transcript that is malformed, non-canonical or internally inconsistent."""


@dataclass(frozen=True)
class Segment:
    """Segment `index`: steps index*k .. index*k + k - 1, from checkpoint start_id to end_id."""

    index: int
    start_id: bytes  # 32-byte checkpoint id before the segment's first step
    end_id: bytes  # 32-byte checkpoint id after its last step
    losses: tuple[float, ...]  # the k per-step losses, float32 values

    def losses_hash(self) -> bytes:
        return keccak(struct.pack(f"<{len(self.losses)}f", *self.losses))


def leaf_hash(segment: Segment) -> bytes:
    """keccak256(abi.encode(uint256 index, bytes32 start, bytes32 end, bytes32 lossesHash))."""
    return keccak(segment.index.to_bytes(32, "big") + segment.start_id + segment.end_id + segment.losses_hash())


@dataclass(frozen=True)
class Transcript:
    """Everything a verifier needs, besides the spec and the checkpoints, to replay any segment."""

    job_key: bytes  # 32 bytes: prover.jobkey.job_key(chainId, ledger, jobId)
    spec_hash: bytes  # 32 bytes
    round: int
    worker: str  # 0x address, lowercase
    checkpoint_every: int  # k
    segments: tuple[Segment, ...]
    version: int = TRANSCRIPT_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "worker", self.worker.lower())
        object.__setattr__(self, "segments", tuple(self.segments))
        _validate(self)

    @property
    def steps(self) -> int:
        return self.checkpoint_every * len(self.segments)

    @property
    def base(self) -> bytes:
        """start_0: must equal the round's head."""
        return self.segments[0].start_id

    @property
    def result(self) -> bytes:
        """end_{S-1}: the claimed result."""
        return self.segments[-1].end_id

    def boundary_ids(self) -> list[bytes]:
        """The S + 1 checkpoint ids: base, then the end of every segment."""
        return [self.base] + [s.end_id for s in self.segments]

    def leaves(self) -> list[bytes]:
        return [leaf_hash(s) for s in self.segments]

    @property
    def root(self) -> bytes:
        """transcriptRoot, as submitted on chain."""
        return merkle_root(self.leaves())

    def proof(self, index: int) -> list[bytes]:
        """Inclusion proof of segment `index` under root."""
        return merkle_proof(self.leaves(), index)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "job_key": _hex(self.job_key), "spec_hash": _hex(self.spec_hash),
            "round": self.round,
            "worker": self.worker, "checkpoint_every": self.checkpoint_every,
            "segments": [{"index": s.index, "start": _hex(s.start_id), "end": _hex(s.end_id),
                          "losses": list(s.losses)} for s in self.segments],
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> "Transcript":
        """Parse untrusted bytes; only the canonical encoding of a valid transcript is accepted."""
        if len(data) > MAX_TRANSCRIPT_BYTES:
            raise TranscriptError(f"transcript is {len(data)} bytes, more than {MAX_TRANSCRIPT_BYTES}")
        try:
            obj = json.loads(bytes(data).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise TranscriptError(f"transcript is not UTF-8 JSON: {e}") from None
        transcript = cls.from_dict(obj)
        if transcript.to_bytes() != bytes(data):
            raise TranscriptError("transcript bytes are not canonical (sorted keys, no spaces, lowercase hex, "
                                  "shortest float repr)")
        return transcript

    @classmethod
    def from_dict(cls, obj: Any) -> "Transcript":
        _expect_keys("transcript", obj, {"version", "job_key", "spec_hash", "round", "worker",
                                         "checkpoint_every", "segments"})
        if not isinstance(obj["segments"], list):
            raise TranscriptError("transcript.segments must be a list")
        segments = []
        for i, s in enumerate(obj["segments"]):
            where = f"transcript.segments[{i}]"
            _expect_keys(where, s, {"index", "start", "end", "losses"})
            if not isinstance(s["losses"], list):
                raise TranscriptError(f"{where}.losses must be a list")
            segments.append(Segment(_int(f"{where}.index", s["index"]), _bytes32(f"{where}.start", s["start"]),
                                    _bytes32(f"{where}.end", s["end"]),
                                    _float32s(f"{where}.losses", s["losses"])))
        worker = obj["worker"]
        if not isinstance(worker, str):
            raise TranscriptError("transcript.worker must be a string")
        return cls(job_key=_bytes32("transcript.job_key", obj["job_key"]),
                   spec_hash=_bytes32("transcript.spec_hash", obj["spec_hash"]),
                   round=_int("transcript.round", obj["round"]), worker=worker,
                   checkpoint_every=_int("transcript.checkpoint_every", obj["checkpoint_every"]),
                   segments=tuple(segments), version=_int("transcript.version", obj["version"]))


def _validate(t: Transcript) -> None:
    """Structural rules: version, types, indices 0..S-1, k losses each, start_j == end_{j-1}."""
    if t.version != TRANSCRIPT_VERSION:
        raise TranscriptError(f"transcript version must be {TRANSCRIPT_VERSION}, got {t.version!r}")
    _checked_bytes32("job_key", t.job_key)
    _checked_bytes32("spec_hash", t.spec_hash)
    if not (isinstance(t.round, int) and 0 <= t.round < 2**64):
        raise TranscriptError(f"round must be a uint64, got {t.round!r}")
    w = t.worker
    if len(w) != 42 or w[:2] != "0x" or any(c not in "0123456789abcdef" for c in w[2:]):
        raise TranscriptError(f"worker must be a 0x-prefixed 20-byte hex address, got {w!r}")
    if not (isinstance(t.checkpoint_every, int) and t.checkpoint_every >= 1):
        raise TranscriptError(f"checkpoint_every must be >= 1, got {t.checkpoint_every!r}")
    if not t.segments:
        raise TranscriptError("a transcript has at least one segment")
    for j, s in enumerate(t.segments):
        if s.index != j:
            raise TranscriptError(f"segment {j} has index {s.index}: indices must be 0..S-1 in order")
        _checked_bytes32(f"segments[{j}].start", s.start_id)
        _checked_bytes32(f"segments[{j}].end", s.end_id)
        if len(s.losses) != t.checkpoint_every:
            raise TranscriptError(f"segment {j} has {len(s.losses)} losses, expected k={t.checkpoint_every}")
        _float32s(f"segments[{j}].losses", s.losses)
        if j > 0 and s.start_id != t.segments[j - 1].end_id:
            raise TranscriptError(f"segment {j} starts at 0x{s.start_id.hex()}, but segment {j - 1} ended at "
                                  f"0x{t.segments[j - 1].end_id.hex()}")


def _expect_keys(where: str, obj: Any, keys: set[str]) -> None:
    if not isinstance(obj, dict):
        raise TranscriptError(f"{where} must be a JSON object")
    unknown, missing = sorted(set(obj) - keys), sorted(keys - set(obj))
    if unknown or missing:
        raise TranscriptError(f"{where}: unknown field(s) {unknown}, missing field(s) {missing}")


def _int(where: str, v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise TranscriptError(f"{where} must be a non-negative integer, got {v!r}")
    return v


def _bytes32(where: str, v: Any) -> bytes:
    if not (isinstance(v, str) and len(v) == 66 and v[:2] == "0x"):
        raise TranscriptError(f"{where} must be 0x followed by 64 hex digits, got {v!r}")
    try:
        return bytes.fromhex(v[2:])
    except ValueError:
        raise TranscriptError(f"{where} is not hex: {v!r}") from None


def _checked_bytes32(where: str, v: Any) -> None:
    if not (isinstance(v, bytes) and len(v) == 32):
        raise TranscriptError(f"{where} must be 32 bytes")


def _float32(where: str, v: Any) -> float:
    try:
        ok = isinstance(v, float) and math.isfinite(v) and struct.unpack("<f", struct.pack("<f", v))[0] == v
    except OverflowError:
        ok = False
    if not ok:
        raise TranscriptError(f"{where}: {v!r} is not a finite float32 value")
    return v


def _float32s(where: str, values: Any) -> tuple[float, ...]:
    """Every value a finite float32, checked in C (one call per value cost 25 ms of a 90,000-step claim's parse).

    Floats that round-trip through float32 and whose exact sum is finite are all finite float32 values (a
    float32's magnitude is below 3.5e38, so k of them cannot overflow a double's sum). Anything else is checked
    value by value, to name the first one that is not."""
    values = tuple(values)
    try:
        if (set(map(type, values)) <= {float}
                and struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)) == values
                and math.isfinite(math.fsum(values))):
            return values
    except (OverflowError, struct.error):
        pass
    for v in values:
        _float32(where, v)
    raise TranscriptError(f"{where}: not finite float32 values")  # unreachable: one of them raised


def _hex(b: bytes) -> str:
    return "0x" + b.hex()
