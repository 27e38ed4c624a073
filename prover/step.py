"""THE training step and THE segment replay: the prover trains with these and the verifier replays with these.
(A job with a wasm engine steps through its module instead of train_step: prover/training.py.)

A step: clear gradients, forward on the assigned batch, backward, optional global-norm clipping, optimizer
step; its loss is the float32 loss of the forward pass, before the update. A segment is k consecutive steps
whose batches come from prover.assignment for claim steps first_step .. first_step + k - 1.

Batches are derived before the steps that use them (claim_batches), never between two steps: hashing inside
the training loop cost the digits prover far more than the hashes themselves (~40 us a step against ~4 us in
one pass; the loop's caches go cold), so the prover derives a whole claim's at once and a replay its segment's.
"""

from __future__ import annotations

from typing import Sequence

import torch

from prover.assignment import batch_indices
from prover.checkpoint import Tensors
from prover.datasets import Dataset, load_dataset
from prover.determinism import configure_determinism
from prover.spec import JobSpec
from prover.training import open_training


def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
               batch: tuple[torch.Tensor, torch.Tensor], grad_clip: float = 0.0) -> float:
    """One optimizer step on one batch; returns the loss before the update."""
    optimizer.zero_grad(set_to_none=True)
    _, loss = model(*batch)
    loss.backward()
    if grad_clip > 0.0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip, foreach=False)
    optimizer.step()
    return loss.item()


def claim_batches(spec: JobSpec, n_train: int, spec_hash: bytes, round: int, worker: str, first_step: int,
                  n_steps: int, *, job_key: bytes) -> list[list[int]]:
    """The assigned batch indices of claim steps first_step .. first_step + n_steps - 1, in one pass.

    Row i is batch_indices(..., first_step + i, ...): the one derivation, whether the prover asks for the whole
    claim (first_step 0, n_steps H) or a replay for one segment.
    """
    return [batch_indices(spec_hash, round, worker, step, n_train, spec.batch_size, job_key=job_key)
            for step in range(first_step, first_step + n_steps)]


def run_steps(spec: JobSpec, data: Dataset, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
              spec_hash: bytes, round: int, worker: str, first_step: int, k: int,
              device: torch.device | str = "cpu", *, job_key: bytes,
              plan: Sequence[list[int]] | None = None) -> list[float]:
    """k assigned steps on a live torch model and optimizer (what TorchTraining.steps runs on segment_plan)."""
    clip = spec.optimizer.grad_clip
    return [train_step(model, optimizer, batch, clip) for batch in segment_plan(
        spec, data, spec_hash, round, worker, first_step, k, device, job_key=job_key, plan=plan)]


def segment_plan(spec: JobSpec, data: Dataset, spec_hash: bytes, round: int, worker: str, first_step: int, k: int,
                 device: torch.device | str = "cpu", *, job_key: bytes,
                 plan: Sequence[list[int]] | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The batch tensors of claim steps first_step .. first_step + k - 1: the loop that both proving and replay run
    feeds these to its engine's steps, one per step.

    plan: the whole claim's claim_batches(..., 0, H) (the prover derives it once per claim); None derives this
    segment's k batches here, before the first step.
    """
    if plan is not None and len(plan) != spec.steps_per_claim:
        raise ValueError(f"plan has {len(plan)} batches, the claim has {spec.steps_per_claim} steps")
    batches = (claim_batches(spec, data.n_train, spec_hash, round, worker, first_step, k, job_key=job_key)
               if plan is None else plan[first_step:first_step + k])
    if len(batches) != k:
        raise ValueError(f"steps {first_step}..{first_step + k - 1} are outside the claim's {len(plan)} steps")
    return segment_batches(data, batches, device)


def segment_batches(data: Dataset, batches: Sequence[list[int]], device: torch.device | str = "cpu"):
    """The batch tensors of consecutive steps, gathered in one indexing op and split into per-step views.

    Same values, dtype and strides as data.train_batch(idx) per step; k small gathers cost the loop more than
    one k times as large. Per segment, not per claim: memory stays k batches however long the claim is.
    """
    sizes = [len(idx) for idx in batches]
    inputs, targets = data.train_batch([i for idx in batches for i in idx], device)
    return list(zip(inputs.split(sizes), targets.split(sizes)))


def run_segment(spec: JobSpec, start_state: Tensors, spec_hash: bytes, round: int, worker: str,
                first_step: int, k: int, device: torch.device | str = "cpu", *,
                job_key: bytes) -> tuple[Tensors, tuple[float, ...]]:
    """Replay k steps from a checkpoint; returns the end checkpoint (CPU tensors) and the k losses.

    The segment j of a claim is run_segment(spec, start_j, specHash, round, worker, j * k, k, job_key=jobKey).
    """
    if spec_hash != spec.spec_hash():
        raise ValueError(f"spec_hash 0x{spec_hash.hex()} is not this spec's hash 0x{spec.spec_hash().hex()}")
    if first_step < 0 or k < 1 or first_step + k > spec.steps_per_claim:
        raise ValueError(f"steps {first_step}..{first_step + k - 1} are outside the claim's "
                         f"{spec.steps_per_claim} steps")
    configure_determinism()
    data = load_dataset(spec)
    training = open_training(spec, start_state, device)
    losses = training.steps(segment_plan(spec, data, spec_hash, round, worker, first_step, k, device,
                                         job_key=job_key))
    return training.snapshot(), tuple(losses)
