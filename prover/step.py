"""THE training step and THE segment replay: the prover trains with these and the verifier replays with these.

A step: clear gradients, forward on the assigned batch, backward, optional global-norm clipping, optimizer
step; its loss is the float32 loss of the forward pass, before the update. A segment is k consecutive steps
whose batches come from prover.assignment for claim steps first_step .. first_step + k - 1.
"""

from __future__ import annotations

import torch

from prover.assignment import batch_indices
from prover.checkpoint import Tensors
from prover.datasets import Dataset, load_dataset
from prover.determinism import configure_determinism
from prover.spec import JobSpec
from prover.state import build_training_state, state_tensors


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


def run_steps(spec: JobSpec, data: Dataset, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
              spec_hash: bytes, round: int, worker: str, first_step: int, k: int,
              device: torch.device | str = "cpu", *, job_key: bytes) -> list[float]:
    """k assigned steps on a live model and optimizer (the loop that both proving and replay run)."""
    losses = []
    for step in range(first_step, first_step + k):
        idx = batch_indices(spec_hash, round, worker, step, data.n_train, spec.batch_size, job_key=job_key)
        losses.append(train_step(model, optimizer, data.train_batch(idx, device), spec.optimizer.grad_clip))
    return losses


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
    model, optimizer = build_training_state(spec, start_state, device)
    losses = run_steps(spec, data, model, optimizer, spec_hash, round, worker, first_step, k, device,
                       job_key=job_key)
    return state_tensors(model, optimizer), tuple(losses)
