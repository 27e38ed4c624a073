"""Dishonest workers, for the demo and the tests only: what the verifiers must catch.

`skip-training` claims H steps of work without doing any: every segment starts and ends at the head, with
made-up, plausibly falling losses. Its transcript is well formed and its commitments are consistent, so only
re-execution exposes it.
"""
from __future__ import annotations

import struct
import time

from prover.checkpoint import checkpoint_id
from prover.claim import ClaimProof
from prover.transcript import Segment, Transcript


def prove_without_training(spec, head_tensors, round: int, worker: str, store, keep_every: int = 1, *,
                           job_key: bytes, **_ignored) -> ClaimProof:
    started = time.perf_counter()
    head = checkpoint_id(head_tensors)
    store.put(head, head_tensors)
    k = spec.checkpoint_every
    segments = tuple(
        Segment(j, head, head, tuple(_float32(2.3 / (1 + 0.05 * (j * k + i))) for i in range(k)))
        for j in range(spec.segments_per_claim))
    transcript = Transcript(job_key=job_key, spec_hash=spec.spec_hash(), round=round, worker=worker.lower(),
                            checkpoint_every=k, segments=segments)
    return ClaimProof(transcript=transcript, result_id=head, result_tensors=head_tensors, stored_ids=(head,),
                      train_seconds=time.perf_counter() - started, commit_seconds=0.0)


def _float32(x: float) -> float:
    """Round to the nearest float32: transcripts carry float32 losses."""
    return struct.unpack("<f", struct.pack("<f", x))[0]
