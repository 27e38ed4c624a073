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

import os
import sys
import threading
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


def checkpoint_id(tensors: Mapping[str, torch.Tensor], threads: int = 1) -> bytes:
    """The 32-byte content id of a checkpoint (see the module docstring for the encoding)."""
    h = blake3.blake3(max_threads=threads)
    h.update(DOMAIN + len(tensors).to_bytes(8, "big"))
    for name in sorted(tensors):
        t = tensors[name]
        raw = _raw_bytes(t)
        name_b, dtype_b = name.encode("utf-8"), dtype_name(t.dtype).encode("ascii")
        header = [len(name_b).to_bytes(8, "big"), name_b, len(dtype_b).to_bytes(8, "big"), dtype_b,
                  t.dim().to_bytes(8, "big"), *(d.to_bytes(8, "big") for d in t.shape),
                  raw.nbytes.to_bytes(8, "big")]
        h.update(b"".join(header))
        h.update(raw)
    return h.digest()


def dtype_name(dtype: torch.dtype) -> str:
    """"float32" for torch.float32, and so on."""
    return str(dtype).removeprefix("torch.")


def checkpoint_to_bytes(tensors: Mapping[str, torch.Tensor], known_id: bytes | None = None) -> bytes:
    """A safetensors file's bytes; the metadata records the id (known_id skips hashing again; the caller
    vouches for it, and every reader recomputes it anyway)."""
    cpu = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
    cid = known_id if known_id is not None else checkpoint_id(cpu)
    return st_save(cpu, metadata={METADATA_KEY: "0x" + cid.hex()})


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
