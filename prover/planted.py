"""A sentinel's planted fault (PROTOCOL.md v2 §2): a claim whose every segment is faulty, and that looks like an
honest claim to anything short of replaying it.

It is real training: H steps from the head, with every checkpoint committed and stored, but on the batches the
protocol assigns to another address (a decoy only the sentinel can derive). Its losses, update sizes, sizes and
timing are those of an honest claim of the same job; replayed from any segment's start with the claimed worker's
batches, no segment ends where the transcript says. So every approver's own sample holds a faulty segment, and an
approver that approved without replaying is proven wrong on whichever draw the sentinel names.
"""
from __future__ import annotations

import dataclasses

from eth_utils import keccak

from .claim import ClaimProof, prove_claim
from .spec import JobSpec
from .store import CheckpointStore


def decoy_address(secret: bytes, round: int) -> str:
    """The address whose batches a planted fault of `round` trains on: unpredictable without `secret`."""
    return "0x" + keccak(b"gradchain/planted/decoy" + secret + round.to_bytes(32, "big"))[-20:].hex()


def prove_planted_fault(spec: JobSpec, head_tensors, round: int, worker: str, secret: bytes,
                        store: CheckpointStore, *, job_key: bytes, device="cpu") -> ClaimProof:
    """A claim by `worker` in `round` trained on the decoy's batches; every boundary checkpoint is stored (kept_every
    1: a planted claim's checkpoints cannot be regenerated from `worker`'s batches, so all are served as stored)."""
    decoy = decoy_address(secret, round)
    if decoy.lower() == worker.lower():
        raise ValueError("the decoy address equals the planted worker's: choose another secret")
    proof = prove_claim(spec, head_tensors, round, decoy, store, keep_every=1, device=device, job_key=job_key)
    return dataclasses.replace(proof, transcript=dataclasses.replace(proof.transcript, worker=worker))
