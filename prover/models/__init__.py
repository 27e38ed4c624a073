"""Model registry: one short file per model family; `build_model(spec)` is the only entry point."""

from prover.models.registry import build_model, normalize_model_config

__all__ = ["build_model", "normalize_model_config"]
