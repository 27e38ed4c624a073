"""Registry of model families: name -> (config dataclass, module class).

Decided here: how a spec's model_config is normalized (every field present, unknown fields refused) and how
initial weights are drawn (on CPU, from spec.seed, whatever device trains later), so genesis is reproducible.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Mapping

import torch

from prover.models.mlp_digits import MLPConfig, MLPDigits
from prover.models.tiny_gpt import GPTConfig, TinyGPT

if TYPE_CHECKING:
    from prover.spec import JobSpec

MODEL_REGISTRY: dict[str, tuple[type, type[torch.nn.Module]]] = {
    "mlp-digits": (MLPConfig, MLPDigits),
    "tiny-gpt": (GPTConfig, TinyGPT),
}


def model_config(spec: "JobSpec") -> Any:
    """The spec's model_config as the model's config dataclass."""
    config_cls, _ = MODEL_REGISTRY[spec.model]
    return _to_config(spec.model, config_cls, spec.model_config)


def normalize_model_config(model: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """Fill defaults and refuse unknown or ill-typed keys; the result is what the spec hashes."""
    from prover.spec import SpecError

    if model not in MODEL_REGISTRY:
        raise SpecError(f"model must be one of {sorted(MODEL_REGISTRY)}, got {model!r}")
    config_cls, _ = MODEL_REGISTRY[model]
    cfg = _to_config(model, config_cls, config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg).items()}


def build_model(spec: "JobSpec") -> torch.nn.Module:
    """The spec's model with its initial weights: drawn on CPU from spec.seed, global RNG left untouched."""
    config_cls, model_cls = MODEL_REGISTRY[spec.model]
    cfg = _to_config(spec.model, config_cls, spec.model_config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = model_cls(cfg)
    return model.to(dtype=getattr(torch, spec.dtype))


def _to_config(model: str, config_cls: type, config: Mapping[str, Any]) -> Any:
    from prover.spec import SpecError

    if not isinstance(config, Mapping):
        raise SpecError(f"model_config must be an object, got {type(config).__name__}")
    known = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(config) - set(known))
    if unknown:
        raise SpecError(f"model_config for {model!r}: unknown field(s) {unknown}; known: {sorted(known)}")
    values: dict[str, Any] = {}
    for key, value in config.items():
        default = getattr(config_cls(), key)
        if isinstance(default, tuple):
            ok = isinstance(value, (list, tuple)) and len(value) > 0 and all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
            if not ok:
                raise SpecError(f"model_config.{key} must be a non-empty list of positive integers, "
                                f"got {value!r}")
            value = tuple(value)
        elif not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            raise SpecError(f"model_config.{key} must be a positive integer, got {value!r}")
        values[key] = value
    cfg = config_cls(**values)
    if model == "tiny-gpt" and (cfg.n_embd % cfg.n_head != 0 or cfg.vocab_size != 256):
        raise SpecError(f"model_config for 'tiny-gpt': n_embd must divide by n_head and vocab_size must be "
                        f"256 (byte tokens); got n_embd={cfg.n_embd}, n_head={cfg.n_head}, "
                        f"vocab_size={cfg.vocab_size}")
    if model == "mlp-digits" and (cfg.n_inputs != 64 or cfg.n_classes != 10):
        raise SpecError("model_config for 'mlp-digits': n_inputs must be 64 and n_classes 10")
    return cfg
