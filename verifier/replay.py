"""Re-execution of one sampled segment and its comparison with the commitment (PROTOCOL.md §5.3).

Replay always goes through prover.step.run_segment (the prover's own step function) with the protocol's data
assignment for the *claim's* job key, worker and round and the *spec's* hash: nothing the worker wrote in its
transcript header can change which batches are replayed.

- exact: the replayed end checkpoint id equals end_j and every loss is the same float32 bit pattern.
- tolerance: for the parameters, and separately for each kind of optimizer state (SGD momentum buffer,
  AdamW exp_avg / exp_avg_sq / step), ‖X′ − X_end‖ / ‖X_end − X_start‖ ≤ delta, where X′ is the replayed end;
  every loss within delta relative (|l′ − l| ≤ delta·max(1, |l|)); and the committed parameter update may not be
  far smaller than the honest replayed one (‖W_end − W_start‖ / ‖W′ − W_start‖ ≥ UPDATE_FLOOR), which defeats
  the infinitesimal-update attack. Optimizer state is included because the next segment starts from it: a
  forged momentum buffer would otherwise carry an arbitrary update into a segment that then replays honestly.
  Last, no coordinate the replay leaves exactly unchanged may move in the claim (verifier/drift.py): a
  per-segment bound alone would let a worker steer, under delta, the weights no honest step touches.
"""
from __future__ import annotations

import math
import struct

import torch

from prover.checkpoint import CheckpointError, Tensors, checkpoint_id
from prover.spec import JobSpec
from prover.state import check_layout
from prover.step import run_segment
from prover.transcript import Segment
from verifier.claim import Claim
from verifier.drift import zero_update_violations
from verifier.verdict import Verdict, reject

UPDATE_FLOOR = 0.5  # committed update / honest replayed update below this: "update too small"
PARAM_GROUP = "param"


def layout_fault(spec: JobSpec, model: torch.nn.Module, tensors: Tensors, segment: int, which: str) -> Verdict | None:
    """Reject a checkpoint whose names, shapes or dtypes are not the spec model's, or that holds NaN/inf."""
    try:
        check_layout(spec, model, tensors)
    except CheckpointError as e:
        return reject("checkpoint_layout", segment=segment, checkpoint=which, detail=str(e)[:500])
    for name, t in tensors.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            return reject("checkpoint_finite", segment=segment, checkpoint=which, tensor=name)
    return None


def replay_segment(spec: JobSpec, claim: Claim, segment: Segment, start: Tensors) -> tuple[Tensors, tuple[float, ...]]:
    """Segment j replayed from its start checkpoint, with the batches of the claim's job (the chain's job key)."""
    k = spec.checkpoint_every
    return run_segment(spec, start, spec.spec_hash(), claim.round, claim.worker, segment.index * k, k,
                       job_key=claim.job_key)


def _f32_bits(x: float) -> bytes:
    return struct.pack("<f", x)


def compare_exact(segment: Segment, replayed_end: Tensors, replayed_losses: tuple[float, ...]) -> Verdict | None:
    """Exact mode: same end id, bit-identical losses."""
    got = checkpoint_id(replayed_end)
    if got != segment.end_id:
        return reject("replay_end", mode="exact", segment=segment.index, expected="0x" + segment.end_id.hex(),
                      got="0x" + got.hex())
    for i, (want, have) in enumerate(zip(segment.losses, replayed_losses, strict=True)):
        if _f32_bits(want) != _f32_bits(have):
            return reject("replay_losses", mode="exact", segment=segment.index, step_in_segment=i,
                          expected=want, got=have)
    return None


def _groups(tensors: Tensors) -> dict[str, list[str]]:
    """Tensor names by comparison group: 'param', or the optimizer state key ('momentum_buffer', 'exp_avg', ...)."""
    groups: dict[str, list[str]] = {}
    for name in sorted(tensors):
        key = PARAM_GROUP if name.startswith("param/") else name.rsplit("/", 1)[-1]
        groups.setdefault(key, []).append(name)
    return groups


def _norm(names: list[str], a: Tensors, b: Tensors | None = None) -> float:
    """‖a − b‖₂ over the named tensors (float64 accumulation); ‖a‖ if b is None."""
    total = 0.0
    for n in names:
        x = a[n].detach().to(torch.float64)
        if b is not None:
            x = x - b[n].detach().to(torch.float64)
        total += float(torch.sum(x * x))
    return math.sqrt(total)


def _ratio(num: float, den: float) -> float:
    if den == 0.0:
        return 0.0 if num == 0.0 else math.inf
    return num / den


def tolerance_distances(start: Tensors, committed_end: Tensors, replayed_end: Tensors) -> dict[str, float]:
    """Per group: ‖X′ − X_end‖ / ‖X_end − X_start‖; plus 'update_ratio' = ‖W_end − W_start‖ / ‖W′ − W_start‖."""
    out = {}
    for group, names in _groups(committed_end).items():
        out[group] = _ratio(_norm(names, replayed_end, committed_end), _norm(names, committed_end, start))
    params = _groups(committed_end)[PARAM_GROUP]
    out["update_ratio"] = _ratio(_norm(params, committed_end, start), _norm(params, replayed_end, start))
    return out


def compare_tolerance(spec: JobSpec, segment: Segment, start: Tensors, committed_end: Tensors,
                      replayed_end: Tensors, replayed_losses: tuple[float, ...]) -> tuple[Verdict | None, dict]:
    """Tolerance mode; returns (rejection or None, the measured distances)."""
    delta = spec.delta
    d = tolerance_distances(start, committed_end, replayed_end)
    if not d["update_ratio"] >= UPDATE_FLOOR:  # also catches NaN
        return reject("update_too_small", mode="tolerance", segment=segment.index, update_ratio=d["update_ratio"],
                      floor=UPDATE_FLOOR), d
    for group, dist in d.items():
        if group != "update_ratio" and not dist <= delta:
            return reject("replay_distance", mode="tolerance", segment=segment.index, group=group,
                          distance=dist, delta=delta), d
    for i, (want, have) in enumerate(zip(segment.losses, replayed_losses, strict=True)):
        if not abs(have - want) <= delta * max(1.0, abs(want)):
            return reject("replay_losses", mode="tolerance", segment=segment.index, step_in_segment=i,
                          expected=want, got=have, delta=delta), d
    moved = zero_update_violations(start, committed_end, replayed_end)
    if moved:
        return reject("zero_update_violated", mode="tolerance", segment=segment.index, tensors=moved,
                      count=sum(moved.values())), d
    return None, d
