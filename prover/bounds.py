"""The largest valid size of every artifact, from the spec alone (PROTOCOL.md §3, "Sizes are known before
bytes are parsed"), so that a fetcher or parser can refuse anything larger before reading it.

Decided here:
- a checkpoint's layout (name -> dtype, shape) is prover.state's, for the spec's model built on the meta
  device (shapes only: no weights drawn, no memory), so it costs nothing per call and is cached per spec;
- its data section is exactly the sum of the tensors' byte sizes; its safetensors header is bounded by the
  JSON of that layout with every offset at its widest (any tensor order a writer picks fits), the metadata
  entry prover.checkpoint writes, and the padding to 8 bytes that safetensors adds;
- a transcript's size is measured on prover.transcript's own canonical encoder, fed the widest value of each
  field (largest round, longest float32 repr), so the bound follows the encoding by construction.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import torch

from prover.checkpoint import METADATA_KEY, SAFETENSORS_DTYPES
from prover.spec import JobSpec

Layout = dict[str, tuple[str, tuple[int, ...]]]  # name -> (torch dtype name, shape)

_ST_CODE = {torch_name: code for code, (torch_name, _) in SAFETENSORS_DTYPES.items()}
_ITEMSIZE = {torch_name: size for torch_name, size in SAFETENSORS_DTYPES.values()}
# The finite float32 with the longest shortest-repr: sign, 17 significant digits, exponent e-38 (23 chars;
# no float32 needs more: 17 digits always round-trip a double, and |exponent| < 100).
WIDEST_LOSS = -1.1754943508222875e-38
WIDEST_ROUND = 2**64 - 1  # the transcript's round is a uint64


def expected_layout(spec: JobSpec) -> Layout:
    """name -> (dtype name, shape) of every tensor a checkpoint for `spec` must hold, in name order."""
    return dict(_memo("layout", spec, _layout))


def max_checkpoint_bytes(spec: JobSpec) -> int:
    """The size of the largest safetensors file that can hold a checkpoint of `spec`."""
    return 8 + max_header_bytes(spec) + data_bytes(spec)


def data_bytes(spec: JobSpec) -> int:
    """The exact size of a checkpoint's data section: every tensor's bytes, nothing between them."""
    return _data_bytes(_memo("layout", spec, _layout))


def max_header_bytes(spec: JobSpec) -> int:
    """The longest safetensors JSON header (with its padding) a checkpoint of `spec` can have."""
    return _memo("header", spec, _max_header)


def max_transcript_bytes(spec: JobSpec) -> int:
    """The size of the largest canonical transcript of `spec`: S segments of k losses."""
    return _memo("transcript", spec, _max_transcript)


# ---- computed once per spec (keyed by its canonical bytes, which the spec hash is taken over) ------------

_CACHE: dict[tuple[str, bytes], Any] = {}


def _memo(kind: str, spec: JobSpec, compute: Callable[[JobSpec], Any]) -> Any:
    key = (kind, spec.canonical_json())
    if key not in _CACHE:  # a race computes the same value twice: harmless
        _CACHE[key] = compute(spec)
    return _CACHE[key]


def _layout(spec: JobSpec) -> tuple[tuple[str, tuple[str, tuple[int, ...]]], ...]:
    from prover.models.registry import build_model
    from prover.state import expected_layout as state_layout

    with torch.device("meta"):  # parameters get shapes and dtypes but no storage and no random init
        model = build_model(spec)
    layout = state_layout(spec, model)
    return tuple((name, (str(dtype).removeprefix("torch."), tuple(shape)))
                 for name, (shape, dtype) in sorted(layout.items()))


def _data_bytes(layout) -> int:
    total = 0
    for _, (dtype, shape) in layout:
        n = _ITEMSIZE[dtype]
        for d in shape:
            n *= d
        total += n
    return total


def _max_header(spec: JobSpec) -> int:
    layout = _memo("layout", spec, _layout)
    widest_offset = 10 ** len(str(_data_bytes(layout))) - 1  # as many digits as any offset can have
    header = {"__metadata__": {METADATA_KEY: "0x" + "f" * 64}}
    for name, (dtype, shape) in layout:
        header[name] = {"dtype": _ST_CODE[dtype], "shape": list(shape), "data_offsets": [widest_offset] * 2}
    n = len(json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return -(-n // 8) * 8  # safetensors pads the header with spaces to a multiple of 8


def _max_transcript(spec: JobSpec) -> int:
    from prover.transcript import Segment, Transcript

    k, S = spec.checkpoint_every, spec.segments_per_claim
    one = b"\xff" * 32
    widest = Transcript(job_key=one, spec_hash=one, round=WIDEST_ROUND, worker="0x" + "f" * 40, checkpoint_every=k,
                        segments=(Segment(0, one, one, (WIDEST_LOSS,) * k),))
    encoded = widest.to_bytes()
    segment = json.dumps(widest.to_dict()["segments"][0], sort_keys=True, separators=(",", ":")).encode()
    header = len(encoded) - len(segment)  # everything but the one segment: fields, brackets
    per_segment = len(segment) - 1  # without the digit of its index, "0"
    return header + S * per_segment + _digits_0_to(S) + (S - 1)  # + index digits + commas between segments


def _digits_0_to(n: int) -> int:
    """Total decimal digits of 0, 1, ..., n-1."""
    total, width, low = 0, 1, 0
    while low < n:
        high = min(n, 10 ** width)
        total += (high - low) * width
        low, width = high, width + 1
    return total
