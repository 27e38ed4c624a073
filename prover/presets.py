"""Ready-made job specs: small enough to train a claim on a laptop CPU in seconds, real enough to learn.

Their numerics profile is the portable `cpu-avx2-strict` (JobSpec's default), so a verifier on any AVX2 or
AVX-512 CPU can replay them bit for bit; pass numerics="cpu-avx512-strict" for the faster native one."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from prover.datasets import DATA_DIR, digits_content_hash, text_content_hash
from prover.numerics import Numerics
from prover.spec import DatasetSpec, JobSpec, OptimizerSpec, SpecError

SHIPPED_CORPUS = DATA_DIR / "tiny_corpus.txt"  # a few KB of plain English written for this repository


def digits_spec(**overrides: Any) -> JobSpec:
    """MLP (64-64-10) on scikit-learn digits, SGD with momentum; held-out loss falls from ln 10 = 2.30 to
    well under 1 within a few rounds of 30 steps."""
    spec = JobSpec(
        model="mlp-digits", model_config={"hidden_sizes": [64]},
        dataset=DatasetSpec(name="digits", content_hash=digits_content_hash(), heldout_fraction=0.2),
        optimizer=OptimizerSpec(name="sgd", lr=0.1, momentum=0.9),
        batch_size=32, steps_per_claim=30, checkpoint_every=10, verification_mode="exact", delta=0.0,
        samples_per_verifier=1, seed=0)
    return _apply(spec, overrides)


# A network's claim of the digits job (`gradchain job create --preset digits`): H = 3,000 steps in segments of
# k = 100, so that a committee of D = 3 members replaying s = 1 segment each re-executes D·s·k/H = 10% of the
# training it checks (issue 15; PROTOCOL.md §8 prices it). digits_spec()'s 30-step claims keep tests and the demo
# quick; there each member re-executes a third of every claim.
NETWORK_CLAIM = {"steps_per_claim": 3000, "checkpoint_every": 100}
NETWORK_SAMPLES_PER_MEMBER = 1


def digits_network_spec(**overrides: Any) -> JobSpec:
    """digits_spec with a network's claim size (NETWORK_CLAIM)."""
    return digits_spec(**{**NETWORK_CLAIM, **overrides})


def digits_wasm_spec(**overrides: Any) -> JobSpec:
    """digits_spec trained and replayed by the wasm module (prover/wasm_engine.py, issue 17): the step function a
    browser runs too. Same model, data, optimizer and checkpoint layout; its own spec hash."""
    from prover.spec import EngineSpec
    from prover.wasm_engine import module_hash

    return digits_spec(**{"engine": EngineSpec("wasm", module_hash()), **overrides})


def digits_wasm_network_spec(**overrides: Any) -> JobSpec:
    """digits_wasm_spec with a network's claim size (NETWORK_CLAIM)."""
    return digits_wasm_spec(**{**NETWORK_CLAIM, **overrides})


def tiny_gpt_spec(text_path: str | Path | None = None, **overrides: Any) -> JobSpec:
    """A 2-layer byte-level transformer (about 0.13 M parameters) on a UTF-8 text file (default: the shipped
    corpus), AdamW with gradient clipping."""
    path = Path(text_path) if text_path is not None else SHIPPED_CORPUS
    spec = JobSpec(
        model="tiny-gpt", model_config={"block_size": 64, "n_layer": 2, "n_head": 2, "n_embd": 64},
        dataset=DatasetSpec(name="text", content_hash=text_content_hash(path.read_bytes()), heldout_fraction=0.1,
                            path=str(path) if text_path is not None else None),
        optimizer=OptimizerSpec(name="adamw", lr=3e-3, betas=(0.9, 0.99), weight_decay=0.01, grad_clip=1.0),
        batch_size=16, steps_per_claim=20, checkpoint_every=5, verification_mode="exact", delta=0.0,
        samples_per_verifier=1, seed=0)
    return _apply(spec, overrides)


def _apply(spec: JobSpec, overrides: dict[str, Any]) -> JobSpec:
    """Top-level spec fields by name; optimizer fields (lr, momentum, ...) and model_config keys are routed
    to their sub-object, and heldout_fraction to the dataset."""
    top = {f.name for f in fields(JobSpec)}
    opt_fields = {f.name for f in fields(OptimizerSpec)} - {"name"}
    opt, cfg, changes = {}, dict(spec.model_config), {}
    for key, value in overrides.items():
        if key == "numerics" and isinstance(value, str):  # a profile name (prover/numerics.py)
            changes[key] = Numerics.named(value)
        elif key in top:
            changes[key] = value
        elif key in opt_fields:
            opt[key] = value
        elif key in cfg:
            cfg[key] = value
        elif key == "heldout_fraction":
            d = spec.dataset
            changes["dataset"] = DatasetSpec(d.name, d.content_hash, value, d.path)
        else:
            raise SpecError(f"unknown preset override {key!r}: use a JobSpec field, an optimizer field "
                            f"{sorted(opt_fields)}, a model_config key {sorted(cfg)} or heldout_fraction")
    if opt:
        o = changes.get("optimizer", spec.optimizer)
        changes["optimizer"] = OptimizerSpec(**{**{f.name: getattr(o, f.name) for f in fields(o)}, **opt})
    if cfg != spec.model_config and "model_config" not in changes:
        changes["model_config"] = cfg
    return spec.replace(**changes) if changes else spec
