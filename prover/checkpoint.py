"""Checkpoints: a flat name -> tensor dict (model parameters and optimizer state), its id, and safetensors I/O.

Decided here (PROTOCOL.md §3):
- checkpoint id = BLAKE3 (32 bytes) over the canonical encoding
      "gradchain/checkpoint/v1\\0" || count (u64 BE)
      || for each tensor in name order (Python string order = UTF-8 byte order):
         len(name) u64 BE || name UTF-8 || len(dtype) u64 BE || dtype ("float32", "int64", ...)
         || ndim u64 BE || each dim u64 BE || nbytes u64 BE || raw bytes, C order, little-endian;
  so the id depends on content only, never on file layout, metadata or save order;
- files are safetensors (never pickle: no torch.save / torch.load anywhere); the metadata carries the id as
  a convenience, but a reader always recomputes it and refuses a mismatch.
"""

from __future__ import annotations

import functools
import json
import os
import struct
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import blake3
import numpy as np
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

Tensors = dict[str, torch.Tensor]
DOMAIN = b"gradchain/checkpoint/v1\0"
METADATA_KEY = "gradchain.checkpoint_id"

if sys.byteorder != "little":  # the id hashes native bytes; every supported platform is little-endian
    raise ImportError("prover.checkpoint assumes a little-endian host")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not have the expected structure."""


class CheckpointMismatch(CheckpointError):
    """A checkpoint whose content hash is not the id it was expected to have."""

    def __init__(self, expected: bytes, actual: bytes, where: str = "checkpoint"):
        self.expected, self.actual = expected, actual
        super().__init__(f"{where} has id 0x{actual.hex()}, expected 0x{expected.hex()}")


# BLAKE3 hashes many 1 KiB chunks in parallel (SIMD) only within one update call, so small tensors (biases,
# norms, AdamW's step) are joined into one buffer of up to this many bytes before hashing; larger tensors are
# hashed in place. Same bytes hashed either way: only speed differs (digits MLP: 56 -> ~30 us per id).
JOIN_BELOW_BYTES = 1 << 16


def checkpoint_id(tensors: Mapping[str, torch.Tensor], threads: int = 1) -> bytes:
    """The 32-byte content id of a checkpoint (see the module docstring for the encoding)."""
    h = blake3.blake3(max_threads=threads)
    pending, pending_bytes = [DOMAIN + len(tensors).to_bytes(8, "big")], 0
    for name in sorted(tensors):
        t = tensors[name]
        raw = _raw_bytes(t)
        pending.append(_tensor_header(name, t.dtype, t.shape, raw.nbytes))
        if raw.nbytes >= JOIN_BELOW_BYTES:
            h.update(b"".join(pending))
            h.update(raw)
            pending, pending_bytes = [], 0
            continue
        pending.append(raw)
        pending_bytes += raw.nbytes
        if pending_bytes >= JOIN_BELOW_BYTES:
            h.update(b"".join(pending))
            pending, pending_bytes = [], 0
    h.update(b"".join(pending))
    return h.digest()


@functools.lru_cache(maxsize=4096)
def _tensor_header(name: str, dtype: torch.dtype, shape: torch.Size, nbytes: int) -> bytes:
    """name, dtype and shape as the id encodes them: the same few per training run, so built once each."""
    name_b, dtype_b = name.encode("utf-8"), dtype_name(dtype).encode("ascii")
    return b"".join([len(name_b).to_bytes(8, "big"), name_b, len(dtype_b).to_bytes(8, "big"), dtype_b,
                     len(shape).to_bytes(8, "big"), *(d.to_bytes(8, "big") for d in shape),
                     nbytes.to_bytes(8, "big")])


def dtype_name(dtype: torch.dtype) -> str:
    """"float32" for torch.float32, and so on."""
    return str(dtype).removeprefix("torch.")


def checkpoint_to_bytes(tensors: Mapping[str, torch.Tensor], known_id: bytes | None = None) -> bytes:
    """A safetensors file's bytes; the metadata records the id (known_id skips hashing again; the caller
    vouches for it, and every reader recomputes it anyway)."""
    cpu = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
    cid = known_id if known_id is not None else checkpoint_id(cpu)
    metadata = {METADATA_KEY: "0x" + cid.hex()}
    dtypes = {t.dtype for t in cpu.values()}
    if len(dtypes) == 1 and dtypes <= _SAFETENSORS_CODE.keys() and "__metadata__" not in cpu:
        return _one_dtype_safetensors(cpu, metadata)
    return st_save(cpu, metadata=metadata)


def _one_dtype_safetensors(tensors: Mapping[str, torch.Tensor], metadata: dict[str, str]) -> bytes:
    """What safetensors.torch.save writes, byte for byte, when every tensor has one dtype (every checkpoint of
    the presets): its header is compact JSON, __metadata__ first, then the tensors ordered by dtype and then by
    name, so here by name; padded with spaces to a multiple of 8; then the raw bytes in that order. Its own
    writer spends ~10 us of Python and ctypes per tensor before the copy (digits MLP: 130 -> ~30 us a file);
    tests/prover/test_batch_plan.py compares the bytes with safetensors'."""
    header: dict = {"__metadata__": metadata}
    raws, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name]
        raw = _raw_bytes(t)
        header[name] = {"dtype": _SAFETENSORS_CODE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + raw.nbytes]}
        raws.append(raw)
        offset += raw.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return b"".join([len(text).to_bytes(8, "little"), text, *raws])


def checkpoint_from_bytes(data: bytes, expected_id: bytes | str | None = None) -> Tensors:
    """Parse safetensors bytes; if expected_id is given, refuse content whose id differs (CheckpointMismatch)."""
    try:
        tensors = st_load(bytes(data))
    except Exception as e:  # safetensors raises its own error types for malformed input
        raise CheckpointError(f"not a readable safetensors checkpoint: {e}") from None
    if expected_id is not None:
        expected = _as_id(expected_id)
        actual = checkpoint_id(tensors)
        if actual != expected:
            raise CheckpointMismatch(expected, actual)
    return dict(sorted(tensors.items()))


@dataclass(frozen=True)
class HeaderEntry:
    """One tensor as a safetensors header describes it: torch dtype name, shape, byte span in the data."""

    dtype: str  # "float32", ...
    shape: tuple[int, ...]
    begin: int  # offset into the data section (after the 8-byte length and the header)
    end: int


@dataclass(frozen=True)
class CheckpointHeader:
    """A safetensors header, checked against the buffer it came with; no tensor built."""

    tensors: dict[str, HeaderEntry]
    metadata: dict[str, str]
    data_start: int  # 8 + header length


# safetensors dtype codes -> (torch dtype name, bytes per element): the dtypes a checkpoint id can name.
SAFETENSORS_DTYPES = {"F64": ("float64", 8), "F32": ("float32", 4), "F16": ("float16", 2),
                      "BF16": ("bfloat16", 2), "I64": ("int64", 8), "I32": ("int32", 4), "I16": ("int16", 2),
                      "I8": ("int8", 1), "U8": ("uint8", 1), "BOOL": ("bool", 1)}


_SAFETENSORS_CODE = {getattr(torch, name): code for code, (name, _) in SAFETENSORS_DTYPES.items()}


def read_header(data: bytes, max_header_bytes: int | None = None) -> CheckpointHeader:
    """Header-first parse: the 8-byte length, then the JSON header, every entry checked against the buffer
    (known dtype, shape x itemsize == its byte span, spans contiguous and covering the data exactly, as
    safetensors itself requires) before anything is allocated beyond the header. CheckpointError otherwise.

    `max_header_bytes` refuses a header whose declared length exceeds it before one byte of JSON is read.
    """
    view = memoryview(data)
    if len(view) < 8:
        raise CheckpointError(f"checkpoint is {len(view)} bytes: too short for the 8-byte safetensors header length")
    (n,) = struct.unpack("<Q", view[:8])
    if max_header_bytes is not None and n > max_header_bytes:
        raise CheckpointError(f"safetensors header claims {n} bytes, more than the {max_header_bytes} the "
                              "expected layout needs")
    if 8 + n > len(view):
        raise CheckpointError(f"safetensors header claims {n} bytes but only {len(view) - 8} follow")
    try:
        obj = json.loads(bytes(view[8:8 + n]).decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except CheckpointError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise CheckpointError(f"safetensors header is not UTF-8 JSON: {e}") from None
    if not isinstance(obj, dict):
        raise CheckpointError("safetensors header must be a JSON object")
    metadata = obj.pop("__metadata__", {})
    if not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise CheckpointError("safetensors __metadata__ must map strings to strings")
    size = len(view) - 8 - n
    tensors = {name: _header_entry(name, entry, size) for name, entry in obj.items()}
    at = 0
    for name, e in sorted(tensors.items(), key=lambda kv: (kv[1].begin, kv[1].end)):
        if e.begin != at:  # a hole or an overlap: safetensors refuses both
            raise CheckpointError(f"tensor {name!r} starts at data offset {e.begin}, expected {at}")
        at = e.end
    if at != size:
        raise CheckpointError(f"tensors cover {at} bytes of data, but {size} follow the header")
    return CheckpointHeader(dict(sorted(tensors.items())), metadata, 8 + n)


def _no_duplicate_keys(pairs: list) -> dict:
    # Another parser (safetensors' own) might keep the other duplicate: the id must name one reading only.
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise CheckpointError(f"safetensors header repeats a key: {sorted({k for k in keys if keys.count(k) > 1})[:3]}")
    return dict(pairs)


def _header_entry(name: str, entry, size: int) -> HeaderEntry:
    where = f"safetensors header entry {name[:100]!r}"
    if not (isinstance(entry, dict) and set(entry) == {"dtype", "shape", "data_offsets"}):
        raise CheckpointError(f"{where} must hold exactly dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in SAFETENSORS_DTYPES:
        raise CheckpointError(f"{where} has dtype {str(dtype)[:20]!r}, expected one of {sorted(SAFETENSORS_DTYPES)}")
    if not (isinstance(shape, list) and all(_is_count(d) and d < 2**63 for d in shape)):
        raise CheckpointError(f"{where}: shape must be a list of integers in [0, 2**63)")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(o) for o in offsets)
            and offsets[0] <= offsets[1] <= size):
        raise CheckpointError(f"{where}: data_offsets {str(offsets)[:60]} are not a span within the {size} data bytes")
    torch_name, itemsize = SAFETENSORS_DTYPES[dtype]
    nbytes = itemsize
    for d in shape:  # Python ints: a claimed [1e9, 1e9] is just a big number, never an allocation
        nbytes *= d
    if nbytes != offsets[1] - offsets[0]:
        raise CheckpointError(f"{where}: shape {str(shape)[:60]} of {dtype} is {nbytes} bytes, but its span is "
                              f"{offsets[1] - offsets[0]}")
    return HeaderEntry(torch_name, tuple(shape), offsets[0], offsets[1])


def _is_count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def checkpoint_id_from_bytes(data: bytes, header: CheckpointHeader | None = None) -> bytes:
    """The checkpoint id of safetensors bytes, hashed straight from the buffer (zero-copy slices, no tensor
    built): equal to checkpoint_id(checkpoint_from_bytes(data)) for every file safetensors accepts."""
    header = header if header is not None else read_header(data)
    view = memoryview(data)
    h = blake3.blake3()
    h.update(DOMAIN + len(header.tensors).to_bytes(8, "big"))
    for name in sorted(header.tensors):
        e = header.tensors[name]
        name_b, dtype_b = name.encode("utf-8"), e.dtype.encode("ascii")
        h.update(b"".join([len(name_b).to_bytes(8, "big"), name_b, len(dtype_b).to_bytes(8, "big"), dtype_b,
                           len(e.shape).to_bytes(8, "big"), *(d.to_bytes(8, "big") for d in e.shape),
                           (e.end - e.begin).to_bytes(8, "big")]))
        h.update(view[header.data_start + e.begin:header.data_start + e.end])
    return h.digest()


def save_checkpoint(tensors: Mapping[str, torch.Tensor], path: str | os.PathLike,
                    known_id: bytes | None = None) -> bytes:
    """Write atomically (temporary file, then rename) and return the id."""
    cid = known_id if known_id is not None else checkpoint_id(tensors)
    data = checkpoint_to_bytes(tensors, cid)
    path = Path(path)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}.{threading.get_ident()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return cid


def load_checkpoint(path_or_bytes: str | os.PathLike | bytes, expected_id: bytes | str) -> Tensors:
    """Read a checkpoint file (or its bytes) and refuse it unless its recomputed id is expected_id."""
    data = path_or_bytes if isinstance(path_or_bytes, (bytes, bytearray)) else Path(path_or_bytes).read_bytes()
    where = "checkpoint" if isinstance(path_or_bytes, (bytes, bytearray)) else f"checkpoint file {path_or_bytes}"
    try:
        return checkpoint_from_bytes(data, expected_id)
    except CheckpointMismatch as e:
        raise CheckpointMismatch(e.expected, e.actual, where) from None


def _raw_bytes(t: torch.Tensor):
    """The tensor's bytes in C order as a zero-copy uint8 numpy view (CPU copy first if needed)."""
    t = t.detach()
    if t.device.type != "cpu":
        t = t.to("cpu")
    if t.dtype in _NUMPY_VIEWABLE and t.is_contiguous():
        return t.numpy().reshape(-1).view(np.uint8)  # fast path: no torch reshape/view dispatch
    return t.contiguous().reshape(-1).view(torch.uint8).numpy()


_NUMPY_VIEWABLE = {torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8, torch.float16}


def _as_id(value: bytes | str) -> bytes:
    if isinstance(value, str):
        value = bytes.fromhex(value.removeprefix("0x"))
    if len(value) != 32:
        raise ValueError(f"a checkpoint id is 32 bytes, got {len(value)}")
    return bytes(value)
