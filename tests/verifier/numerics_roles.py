"""A worker or a verifier in a process of its own, so that it runs the numerics its environment sets up.

    python numerics_roles.py worker PRESET DIR    honest training (run_segment) -> DIR/<hex id> files + claim.json
    python numerics_roles.py verifier PRESET DIR  verify_claim on DIR's claim, replaying as node/ does
                                                  (replay_for: in process, or in a profile subprocess)
Each prints one JSON line: what it did and the numerics it ran (prover.numerics.running_numerics).
Test code only (tests/verifier/test_numerics_profiles.py).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: job_keys.py, as under pytest

from node import replay_wire as wire
from prover.numerics import running_numerics
from prover.presets import digits_spec, tiny_gpt_spec
from verifier.errors import ArtifactUnavailable

# Small claims: S = 2 segments of k = 2 steps, both replayed.
PRESETS = {"digits": lambda: digits_spec(steps_per_claim=4, checkpoint_every=2, samples_per_verifier=2),
           "gpt": lambda: tiny_gpt_spec(steps_per_claim=4, checkpoint_every=2, samples_per_verifier=2)}
WORKER, VERIFIER, SEED = "0x" + "a" * 40, "0x" + "b" * 40, keccak(b"numerics seed")


def dict_fetch(artifacts: dict[bytes, bytes]):
    def fetch(artifact_id: bytes) -> bytes:
        if artifact_id not in artifacts:
            raise ArtifactUnavailable(artifact_id, "not in the local store")
        return artifacts[artifact_id]
    return fetch


def load_package(d: Path):
    from verifier.claim import Claim

    claim = wire.decode_fields(Claim, json.loads((d / "claim.json").read_text()))
    artifacts = {bytes.fromhex(p.name): p.read_bytes() for p in d.iterdir() if p.suffix == ""}
    return claim, artifacts


def work(spec, d: Path) -> dict:
    import torch

    from prover.checkpoint import checkpoint_id
    from verifier_helpers import genesis, package, trajectory

    torch.set_num_threads(1)
    boundaries, losses = trajectory(spec, genesis(spec), 0, WORKER)
    pkg = package(spec, 0, WORKER, boundaries, losses)
    for cid, data in pkg.artifacts.items():
        (d / cid.hex()).write_bytes(data)
    (d / "claim.json").write_text(json.dumps(wire.encode(pkg.claim)))
    return {"boundaries": ["0x" + checkpoint_id(b).hex() for b in boundaries]}


def verify(spec, d: Path) -> dict:
    import torch

    from node.replay_subprocess import SubprocessReplay, replay_for
    from verifier.verify import verify_claim

    torch.set_num_threads(1)
    claim, artifacts = load_package(d)
    replay = replay_for(spec)
    verdict = verify_claim(spec, claim, claim.base, SEED, VERIFIER, dict_fetch(artifacts), replay=replay)
    return {"verdict": verdict.to_json(),
            "subprocess_replays": replay.calls if isinstance(replay, SubprocessReplay) else 0}


if __name__ == "__main__":
    role, preset, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    result = (work if role == "worker" else verify)(PRESETS[preset](), out)
    print(json.dumps({**result, "running": running_numerics()}))
