"""gradchain prover: deterministic training segments with committed, replayable transcripts.

Pure protocol logic (PROTOCOL.md §3, §5, §6): no chain, HTTP, database or CLI. The node calls it; the verifier
replays with the same `run_segment`.
"""

from prover.aggregate import mean_checkpoints
from prover.assignment import batch_indices
from prover.checkpoint import (CheckpointError, CheckpointMismatch, checkpoint_from_bytes, checkpoint_id,
                               checkpoint_to_bytes, load_checkpoint, save_checkpoint)
from prover.claim import ClaimProof, TrainingDiverged, genesis, kept_boundaries, prove_claim, regenerate
from prover.datasets import DatasetMismatch, load_dataset
from prover.determinism import configure_determinism
from prover.evaluate import evaluate
from prover.merkle import merkle_proof, merkle_root, verify_proof
from prover.models.registry import build_model
from prover.presets import digits_spec, tiny_gpt_spec
from prover.spec import DatasetSpec, JobSpec, OptimizerSpec, SpecError
from prover.step import run_segment, train_step
from prover.store import CheckpointStore, DirStore, MemoryStore
from prover.transcript import Segment, Transcript, TranscriptError, leaf_hash

__all__ = [
    "CheckpointError", "CheckpointMismatch", "CheckpointStore", "ClaimProof", "DatasetMismatch", "DatasetSpec",
    "DirStore", "JobSpec", "MemoryStore", "OptimizerSpec", "Segment", "SpecError", "TrainingDiverged",
    "Transcript", "TranscriptError", "batch_indices", "build_model", "checkpoint_from_bytes", "checkpoint_id",
    "checkpoint_to_bytes", "configure_determinism", "digits_spec", "evaluate", "genesis", "kept_boundaries",
    "leaf_hash", "load_checkpoint", "load_dataset", "mean_checkpoints", "merkle_proof", "merkle_root",
    "prove_claim", "regenerate", "run_segment", "save_checkpoint", "tiny_gpt_spec", "train_step",
    "verify_proof",
]
