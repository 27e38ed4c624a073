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


def prove_fake_and_withhold(spec, head_tensors, round: int, worker: str, store, keep_every: int = 1, *,
                            job_key: bytes, **_ignored) -> ClaimProof:
    """`fake-withhold`: every segment made up, chained through invented checkpoints (the head plus noise), and
    only the head and the result kept. A member that drew segment 0 replays it and sees a mismatch; one that
    drew any other finds its start checkpoint withheld. Withholding must cost it the claim all the same."""
    import torch

    started = time.perf_counter()
    head = checkpoint_id(head_tensors)
    generator = torch.Generator().manual_seed(round)
    chain, ids = [head_tensors], [head]
    for _ in range(spec.segments_per_claim):
        fake = {name: t + 0.01 * torch.randn(t.shape, generator=generator, dtype=t.dtype) for name, t in chain[-1].items()}
        chain.append(fake)
        ids.append(checkpoint_id(fake))
    result = chain[-1]
    store.put(ids[-1], result)  # the result must be downloadable, or nobody could even aggregate it
    k = spec.checkpoint_every
    segments = tuple(Segment(j, ids[j], ids[j + 1], tuple(_float32(2.3 / (1 + 0.05 * (j * k + i))) for i in range(k)))
                     for j in range(spec.segments_per_claim))
    transcript = Transcript(job_key=job_key, spec_hash=spec.spec_hash(), round=round, worker=worker.lower(),
                            checkpoint_every=k, segments=segments)
    return ClaimProof(transcript=transcript, result_id=ids[-1], result_tensors=result, stored_ids=(ids[-1],),
                      train_seconds=time.perf_counter() - started, commit_seconds=0.0)


def prove_junk(spec, head_tensors, round: int, worker: str, store, keep_every: int = 1, *, job_key: bytes,
               **_ignored) -> ClaimProof:
    """`junk`: a claim of nothing. The transcript and result are made up and the worker serves none of it
    (withheld_after deletes them): a Sybil flooding the round with claims that cost nothing to make."""
    return prove_fake_and_withhold(spec, head_tensors, round, worker, store, keep_every, job_key=job_key)


# After a proof, the artifacts a cheat deletes from its own store (and never regenerates): what it withholds.
def withheld_after(cheat: str | None, proof: ClaimProof) -> list[bytes]:
    if cheat == "junk":
        return [proof.transcript.root, proof.result_id]
    return []
