"""Data assignment: which training examples step t of worker w in round r uses (PROTOCOL.md §3).

A pure function of (jobKey, specHash, round, worker, step): a worker cannot choose or reorder its data, anyone
recomputes the batch without any RNG state, and training done for one job is worth nothing in another (the job
key, prover/jobkey.py, differs). `step` is the step's index within the claim, 0..H-1.

Derivation: BLAKE3 in extendable-output mode over
    "gradchain/batch/v2" || jobKey (32 B) || specHash (32 B) || round (u64 BE) || worker address (20 B)
    || step (u64 BE),
read as batch_size unsigned 64-bit big-endian words, each taken modulo n_train. Sampling is with replacement;
the modulo bias is below n_train / 2**64, i.e. under 1e-12 for any data set here.
"""

from __future__ import annotations

import functools

import blake3
import numpy as np

from prover.jobkey import check_job_key

DOMAIN = b"gradchain/batch/v2"


def worker_bytes(worker: str) -> bytes:
    """The 20 address bytes of a 0x-prefixed hex address, in any letter case (checksum not required)."""
    if not isinstance(worker, str) or len(worker) != 42 or worker[:2].lower() != "0x":
        raise ValueError(f"worker must be a 0x-prefixed 20-byte hex address, got {worker!r}")
    try:
        return bytes.fromhex(worker[2:])
    except ValueError:
        raise ValueError(f"worker address is not hex: {worker!r}") from None


def batch_indices(spec_hash: bytes, round: int, worker: str, step: int, n_train: int,
                  batch_size: int, *, job_key: bytes) -> list[int]:
    """The training-example indices (each in [0, n_train)) of one step's batch in job `job_key`."""
    if len(spec_hash) != 32:
        raise ValueError(f"spec_hash must be 32 bytes, got {len(spec_hash)}")
    check_job_key(job_key)
    if not (0 <= round < 2**64 and 0 <= step < 2**64):
        raise ValueError(f"round and step must fit in uint64, got round={round}, step={step}")
    if n_train < 1 or batch_size < 1:
        raise ValueError(f"n_train and batch_size must be >= 1, got {n_train}, {batch_size}")
    hasher = _prefix(bytes(job_key), bytes(spec_hash), round, worker.lower()).copy()
    hasher.update(step.to_bytes(8, "big"))
    words = np.frombuffer(hasher.digest(length=8 * batch_size), dtype=">u8")
    return (words % np.uint64(n_train)).tolist()


@functools.lru_cache(maxsize=64)
def _prefix(job_key: bytes, spec_hash: bytes, round: int, worker: str) -> blake3.blake3:
    """The hasher state after everything but the step: computed once per claim, copied per step (speed only)."""
    return blake3.blake3(DOMAIN + job_key + spec_hash + round.to_bytes(8, "big") + worker_bytes(worker))
