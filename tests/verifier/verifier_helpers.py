"""Honest and cheating workers for the verifier tests: real training through prover's step function, plus the
specific deviations each cheat makes. Test code only: the verifier itself never trains except via run_segment."""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Callable

import torch

from prover.assignment import batch_indices
from prover.checkpoint import Tensors, checkpoint_id, checkpoint_to_bytes
from prover.datasets import load_dataset
from prover.determinism import configure_determinism
from prover.presets import digits_spec
from prover.spec import JobSpec
from prover.state import build_training_state, genesis, state_tensors
from prover.step import run_segment, run_steps
from prover.merkle import merkle_root
from prover.transcript import Segment, leaf_hash
from verifier.claim import Claim
from job_keys import JOB_KEY

# S = 4 segments of k = 2 steps, each verifier replays s = 2 of them.
EXACT = digits_spec(steps_per_claim=8, checkpoint_every=2, samples_per_verifier=2)
# Tolerance mode: same model; delta = 1e-4 sits between honest reordering noise (<= 4e-7 measured) and
# bf16 autocast (1e-3 to 3e-2 measured).
TOLERANCE = digits_spec(steps_per_claim=8, checkpoint_every=2, samples_per_verifier=2,
                        verification_mode="tolerance", delta=1e-4)


def address(i: int, kind: int = 0xA) -> str:
    return "0x" + f"{kind:x}" + f"{i:039x}"


SegmentFn = Callable[[JobSpec, Tensors, bytes, int, str, int, int], tuple[Tensors, tuple[float, ...]]]


def to_f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def honest_segment(spec, start, spec_hash, round, worker, first_step, k):
    """The prover's own step function, in the tests' job (JOB_KEY)."""
    return run_segment(spec, start, spec_hash, round, worker, first_step, k, job_key=JOB_KEY)


def trajectory(spec: JobSpec, head: Tensors, round: int, worker: str, segment_fn: SegmentFn = honest_segment):
    """Boundary checkpoints b = 0..S and the losses of each segment, computed segment by segment."""
    spec_hash, k = spec.spec_hash(), spec.checkpoint_every
    boundaries, losses = [head], []
    for j in range(spec.segments_per_claim):
        end, ls = segment_fn(spec, boundaries[-1], spec_hash, round, worker, j * k, k)
        boundaries.append(end)
        losses.append(tuple(to_f32(x) for x in ls))
    return boundaries, losses


@dataclass
class Package:
    """A claim as submitted on chain plus the artifacts its worker serves (hex id -> bytes)."""

    claim: Claim
    transcript_bytes: bytes
    artifacts: dict[bytes, bytes]
    boundaries: list[Tensors]


def transcript_json(spec_hash: bytes, round: int, worker: str, k: int, segments: list[Segment],
                    job_key: bytes = JOB_KEY) -> bytes:
    """The transcript encoding, written without the prover's validation (cheaters write what they like)."""
    obj = {"version": 2, "job_key": "0x" + job_key.hex(), "spec_hash": "0x" + spec_hash.hex(), "round": round,
           "worker": worker.lower(),
           "checkpoint_every": k,
           "segments": [{"index": s.index, "start": "0x" + s.start_id.hex(), "end": "0x" + s.end_id.hex(),
                         "losses": list(s.losses)} for s in segments]}
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def package(spec: JobSpec, round: int, worker: str, boundaries: list[Tensors], losses, claim_id: int = 1,
            claim_worker: str | None = None, transcript_worker: str | None = None) -> Package:
    ids = [checkpoint_id(b) for b in boundaries]
    segments = [Segment(j, ids[j], ids[j + 1], tuple(losses[j])) for j in range(len(losses))]
    tbytes = transcript_json(spec.spec_hash(), round, transcript_worker or worker, spec.checkpoint_every, segments)
    root = merkle_root([leaf_hash(s) for s in segments])
    claim = Claim(claim_id=claim_id, worker=claim_worker or worker, round=round, base=ids[0], result=ids[-1],
                  transcript_root=root, steps=spec.steps_per_claim, job_key=JOB_KEY)
    artifacts = {root: tbytes}
    for cid, t in zip(ids, boundaries):
        artifacts[cid] = checkpoint_to_bytes(t)
    return Package(claim, tbytes, artifacts, boundaries)


# ---- alternative step computations ------------------------------------------------------------------

def _custom_segment(spec, start, spec_hash, round, worker, first_step, k, step_body, build_spec=None):
    configure_determinism()
    data = load_dataset(spec)
    model, optimizer = build_training_state(build_spec or spec, start)
    losses = []
    for step in range(first_step, first_step + k):
        idx = batch_indices(spec_hash, round, worker, step, data.n_train, spec.batch_size, job_key=JOB_KEY)
        x, y = data.train_batch(idx)
        optimizer.zero_grad(set_to_none=True)
        losses.append(step_body(model, x, y))
        if spec.optimizer.grad_clip > 0.0:  # as prover.step.train_step does: part of the honest step
            torch.nn.utils.clip_grad_norm_(model.parameters(), spec.optimizer.grad_clip, foreach=False)
        optimizer.step()
    return state_tensors(model, optimizer), tuple(losses)


def microbatch_segment(spec, start, spec_hash, round, worker, first_step, k):
    """Honest, other float summation order: the batch's mean-loss gradient accumulated over two micro-batches
    (what a worker with less memory, or another kernel, legitimately computes). Same math, different rounding."""
    def body(model, x, y):
        n, total = x.shape[0], 0.0
        for part in (slice(0, n // 2), slice(n // 2, n)):
            _, loss = model(x[part], y[part])
            weight = (part.stop - part.start) / n
            (loss * weight).backward()
            total += loss.item() * weight
        return total
    return _custom_segment(spec, start, spec_hash, round, worker, first_step, k, body)


def bf16_segment(spec, start, spec_hash, round, worker, first_step, k):
    """Cheat: forward and backward under bfloat16 autocast (cheaper, not what the spec's float32 pins)."""
    def body(model, x, y):
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
            _, loss = model(x, y)
        loss.float().backward()
        return loss.float().item()
    return _custom_segment(spec, start, spec_hash, round, worker, first_step, k, body)


def other_data_segment(spec, start, spec_hash, round, worker, first_step, k):
    """Cheat: the honest step, but on the batches assigned to somebody else."""
    return run_segment(spec, start, spec_hash, round, address(999, 0xE), first_step, k, job_key=JOB_KEY)


def lr_doubled_segment(spec, start, spec_hash, round, worker, first_step, k):
    """Cheat: the assigned batches, but with the learning rate doubled."""
    configure_determinism()
    fast = spec.replace(optimizer=type(spec.optimizer)(**{**spec.optimizer.__dict__, "lr": spec.optimizer.lr * 2}))
    model, optimizer = build_training_state(fast, start)
    losses = run_steps(spec, load_dataset(spec), model, optimizer, spec_hash, round, worker, first_step, k,
                       job_key=JOB_KEY)
    return state_tensors(model, optimizer), tuple(losses)


def interpolate(a: Tensors, b: Tensors, w: float) -> Tensors:
    return {n: (a[n] * (1 - w) + b[n] * w).to(a[n].dtype) for n in a}


__all__ = ["EXACT", "TOLERANCE", "address", "honest_segment", "trajectory", "package", "genesis", "microbatch_segment",
           "bf16_segment", "other_data_segment", "lr_doubled_segment", "interpolate", "transcript_json"]
