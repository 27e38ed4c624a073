"""Training state <-> checkpoint tensors: how a model and its optimizer become a flat, named dict and back.

Decided here:
- names: "param/<parameter name>" and "optim/<parameter name>/<state key>";
- optimizers are built with foreach=False (the single-tensor code path, the same on CPU and GPU), and their
  state is always explicit: genesis holds zeros (SGD momentum buffer; AdamW step, exp_avg, exp_avg_sq), which
  gives exactly the same first update as PyTorch's lazy initialization;
- loading is strict: the names, shapes and dtypes must be exactly those the spec's model implies.
"""

from __future__ import annotations

import copy

import torch

from prover.checkpoint import CheckpointError, Tensors
from prover.models.registry import build_model
from prover.spec import JobSpec


def optimizer_state_keys(spec: JobSpec) -> tuple[str, ...]:
    """Per-parameter optimizer state the checkpoint carries."""
    if spec.optimizer.name == "adamw":
        return ("exp_avg", "exp_avg_sq", "step")
    return ("momentum_buffer",) if spec.optimizer.momentum != 0.0 else ()


def new_optimizer(spec: JobSpec, model: torch.nn.Module) -> torch.optim.Optimizer:
    o = spec.optimizer
    params = [p for _, p in model.named_parameters()]
    if o.name == "sgd":
        return torch.optim.SGD(params, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay, foreach=False)
    return torch.optim.AdamW(params, lr=o.lr, betas=o.betas, eps=o.eps, weight_decay=o.weight_decay,
                             foreach=False)


def genesis(spec: JobSpec) -> Tensors:
    """Initial weights from spec.seed plus zeroed optimizer state: the job's genesis head, reproducible by anyone."""
    model = build_model(spec)
    tensors: Tensors = {}
    for name, p in model.named_parameters():
        tensors[f"param/{name}"] = p.detach().clone()
        for key in optimizer_state_keys(spec):
            zero = torch.zeros((), dtype=torch.float32) if key == "step" else torch.zeros_like(p.detach())
            tensors[f"optim/{name}/{key}"] = zero
    return dict(sorted(tensors.items()))


def expected_layout(spec: JobSpec, model: torch.nn.Module) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """name -> (shape, dtype) of every tensor a checkpoint for this spec must hold."""
    layout = {}
    for name, p in model.named_parameters():
        layout[f"param/{name}"] = (tuple(p.shape), p.dtype)
        for key in optimizer_state_keys(spec):
            layout[f"optim/{name}/{key}"] = ((), torch.float32) if key == "step" else (tuple(p.shape), p.dtype)
    return layout


_TEMPLATES: dict[bytes, torch.nn.Module] = {}


def _model_template(spec: JobSpec) -> torch.nn.Module:
    """The spec's freshly initialized model, built once per process (keyed by the spec's canonical bytes)."""
    key = spec.canonical_json()
    if key not in _TEMPLATES:
        _TEMPLATES[key] = build_model(spec)
    return _TEMPLATES[key]


def build_training_state(spec: JobSpec, tensors: Tensors, device: torch.device | str = "cpu"):
    """(model, optimizer) on `device`, holding exactly the given checkpoint. Refuses a wrong layout."""
    # Every weight is overwritten below, so a copy of a cached model replaces a fresh seeded random init:
    # a verifier replaying many short segments pays for the init once, not per segment.
    model = copy.deepcopy(_model_template(spec))
    check_layout(spec, model, tensors)
    model.to(device)
    optimizer = new_optimizer(spec, model)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(tensors[f"param/{name}"])
            state = {}
            for key in optimizer_state_keys(spec):
                t = tensors[f"optim/{name}/{key}"]
                # AdamW keeps `step` on the CPU unless capturable/fused, as its own lazy init does.
                state[key] = t.clone() if key == "step" else t.to(device, copy=True)
            if state:
                optimizer.state[p] = state
    model.train()
    return model, optimizer


def check_layout(spec: JobSpec, model: torch.nn.Module, tensors: Tensors) -> None:
    """Raise CheckpointError naming the first missing, unexpected or misshapen tensor."""
    layout = expected_layout(spec, model)
    missing, unexpected = sorted(set(layout) - set(tensors)), sorted(set(tensors) - set(layout))
    if missing or unexpected:
        raise CheckpointError(f"checkpoint does not fit spec model {spec.model!r}: missing {missing[:5]}, "
                              f"unexpected {unexpected[:5]}")
    for name, (shape, dtype) in layout.items():
        t = tensors[name]
        if tuple(t.shape) != shape or t.dtype != dtype:
            raise CheckpointError(f"checkpoint tensor {name!r} is {t.dtype} {tuple(t.shape)}, "
                                  f"expected {dtype} {shape}")


def state_tensors(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> Tensors:
    """A detached CPU copy of the training state, safe to hash while training continues."""
    tensors: Tensors = {}
    for name, p in model.named_parameters():
        tensors[f"param/{name}"] = p.detach().to("cpu", copy=True)
        for key, value in optimizer.state.get(p, {}).items():
            tensors[f"optim/{name}/{key}"] = value.detach().to("cpu", copy=True)
    return dict(sorted(tensors.items()))


def live_tensors(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> Tensors:
    """The training state as views of the live CPU tensors (no copy): valid only until the next step."""
    tensors: Tensors = {}
    for name, p in model.named_parameters():
        tensors[f"param/{name}"] = p.detach()
        for key, value in optimizer.state.get(p, {}).items():
            tensors[f"optim/{name}/{key}"] = value.detach()
    return tensors
