"""Scoring a checkpoint on the spec's held-out data: the measure of the useful work (PROTOCOL.md §6)."""

from __future__ import annotations

import math

import torch

from prover.checkpoint import Tensors
from prover.datasets import ClassificationData, load_dataset
from prover.determinism import configure_determinism
from prover.models.registry import build_model
from prover.spec import JobSpec


@torch.no_grad()
def evaluate(spec: JobSpec, tensors: Tensors, device: torch.device | str = "cpu") -> dict[str, float]:
    """Held-out {"loss", "accuracy"} for a classifier, {"loss", "perplexity"} for a language model.

    Only the parameters are read (optimizer state is ignored); loss is the mean cross-entropy in nats.
    """
    configure_determinism()
    data = load_dataset(spec)
    model = build_model(spec)
    model.load_state_dict({name.removeprefix("param/"): t for name, t in tensors.items()
                           if name.startswith("param/")}, strict=True)
    model.to(device).eval()
    total_loss, total_count, correct = 0.0, 0, 0
    for x, y in data.heldout_batches(device):
        logits, loss = model(x, y)
        n = y.numel()
        total_loss += loss.item() * n
        total_count += n
        if isinstance(data, ClassificationData):
            correct += int((logits.argmax(dim=-1) == y).sum().item())
    loss = total_loss / total_count
    if isinstance(data, ClassificationData):
        return {"loss": loss, "accuracy": correct / total_count}
    return {"loss": loss, "perplexity": math.exp(loss)}
