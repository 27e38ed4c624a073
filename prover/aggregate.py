"""Aggregation: the next head is the mean of the round's accepted results (PROTOCOL.md §6).

Decided here:
- mean in float32, summing in the order given (the caller passes results sorted by claim id), then one
  division by n: elementwise CPU arithmetic, so every machine gets the same bytes;
- the optimizer state is averaged too, not reset: averaged momentum / Adam moments continue the optimizer's
  trajectory, while a reset would restart AdamW's bias correction and make the first steps of every round
  sign-like jumps of size lr. All results of a round trained H steps from the same head, so AdamW's `step`
  counters are equal integers and their mean is exact.
"""

from __future__ import annotations

from typing import Sequence

import torch

from prover.checkpoint import CheckpointError, Tensors


def mean_checkpoints(checkpoints: Sequence[Tensors]) -> Tensors:
    """Elementwise float32 mean of checkpoints with identical names, shapes and dtypes."""
    if not checkpoints:
        raise ValueError("mean_checkpoints needs at least one checkpoint")
    first = checkpoints[0]
    for i, c in enumerate(checkpoints[1:], start=1):
        if set(c) != set(first):
            raise CheckpointError(f"checkpoint {i} has different tensor names from checkpoint 0")
        for name, t in c.items():
            if t.shape != first[name].shape or t.dtype != first[name].dtype:
                raise CheckpointError(f"checkpoint {i} tensor {name!r} is {t.dtype} {tuple(t.shape)}, "
                                      f"checkpoint 0 has {first[name].dtype} {tuple(first[name].shape)}")
    out: Tensors = {}
    for name in sorted(first):
        if first[name].dtype != torch.float32:
            raise CheckpointError(f"tensor {name!r} is {first[name].dtype}; aggregation is float32 only")
        acc = first[name].detach().to("cpu", copy=True)
        for c in checkpoints[1:]:
            acc.add_(c[name].detach().to("cpu"))
        out[name] = acc.div_(len(checkpoints))
    return out
