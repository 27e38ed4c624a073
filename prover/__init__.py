"""gradchain prover: deterministic training segments with committed, replayable transcripts.

Pure protocol logic (PROTOCOL.md §3, §5, §6): no chain, HTTP, database or CLI. The node calls it; the verifier
replays with the same `run_segment`.
"""

import sys
import types

# Exports load on first use (PEP 562): `import prover.numerics` must not import torch, because the CLI reads a
# spec's numerics profile and sets its environment before torch loads (node/numerics_env.py).
_EXPORTS = {
    **dict.fromkeys(['mean_checkpoints'], "prover.aggregate"),
    **dict.fromkeys(['batch_indices'], "prover.assignment"),
    **dict.fromkeys(['CheckpointError', 'CheckpointMismatch', 'checkpoint_from_bytes', 'checkpoint_id', 'checkpoint_to_bytes', 'load_checkpoint', 'save_checkpoint'], "prover.checkpoint"),
    **dict.fromkeys(['ClaimProof', 'TrainingDiverged', 'genesis', 'kept_boundaries', 'prove_claim', 'regenerate'], "prover.claim"),
    **dict.fromkeys(['DatasetMismatch', 'load_dataset'], "prover.datasets"),
    **dict.fromkeys(['configure_determinism'], "prover.determinism"),
    **dict.fromkeys(['evaluate'], "prover.evaluate"),
    **dict.fromkeys(['merkle_proof', 'merkle_root', 'verify_proof'], "prover.merkle"),
    **dict.fromkeys(['build_model'], "prover.models.registry"),
    **dict.fromkeys(['digits_spec', 'tiny_gpt_spec'], "prover.presets"),
    **dict.fromkeys(['DatasetSpec', 'JobSpec', 'OptimizerSpec', 'SpecError'], "prover.spec"),
    **dict.fromkeys(['run_segment', 'train_step'], "prover.step"),
    **dict.fromkeys(['CheckpointStore', 'DirStore', 'MemoryStore'], "prover.store"),
    **dict.fromkeys(['Segment', 'Transcript', 'TranscriptError', 'leaf_hash'], "prover.transcript"),
}


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'prover' has no attribute {name!r}")


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value) -> None:
        # Importing a submodule binds it to its name here; `prover.evaluate` is also the exported function of
        # that name, which must win (as it did when this file imported everything eagerly).
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "CheckpointError", "CheckpointMismatch", "CheckpointStore", "ClaimProof", "DatasetMismatch", "DatasetSpec",
    "DirStore", "JobSpec", "MemoryStore", "OptimizerSpec", "Segment", "SpecError", "TrainingDiverged",
    "Transcript", "TranscriptError", "batch_indices", "build_model", "checkpoint_from_bytes", "checkpoint_id",
    "checkpoint_to_bytes", "configure_determinism", "digits_spec", "evaluate", "genesis", "kept_boundaries",
    "leaf_hash", "load_checkpoint", "load_dataset", "mean_checkpoints", "merkle_proof", "merkle_root",
    "prove_claim", "regenerate", "run_segment", "save_checkpoint", "tiny_gpt_spec", "train_step",
    "verify_proof",
]
