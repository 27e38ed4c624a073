"""Device check: a worker trains a claim on CUDA, a CPU verifier replays it (PROTOCOL.md §5, §8).

Expected: `exact` jobs reject a CUDA-trained claim (bits differ across device types), `tolerance` jobs approve
it with a measured distance far below delta. Every segment is replayed (s = S) so the figures cover the claim.
Run on a machine with a GPU:  python bench/gpu_replay_check.py
"""
from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
from eth_utils import keccak  # noqa: E402

from prover.checkpoint import checkpoint_id, checkpoint_to_bytes  # noqa: E402
from prover.claim import genesis, prove_claim  # noqa: E402
from prover.presets import digits_spec, tiny_gpt_spec  # noqa: E402
from verifier.claim import Claim  # noqa: E402
from verifier.errors import ArtifactUnavailable  # noqa: E402
from verifier.verify import verify_claim  # noqa: E402
from prover.jobkey import job_key  # noqa: E402

JOB_KEY = job_key(31337, "0x" + "1d" * 20, 1)  # a made-up ledger: the bench runs off chain

WORKER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
VERIFIER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"


class KeepAll:
    """CheckpointStore keeping serialized copies, so the fetch below serves real artifact bytes."""

    def __init__(self):
        self.blobs: dict[bytes, bytes] = {}

    def put(self, cid, tensors):
        self.blobs[cid] = checkpoint_to_bytes({n: t.detach().cpu() for n, t in tensors.items()})

    def get(self, cid):
        return None

    def __contains__(self, cid):
        return cid in self.blobs


def check(label: str, spec, device: str) -> dict:
    spec = spec.replace(samples_per_verifier=spec.segments_per_claim)
    head = genesis(spec)
    store = KeepAll()
    started = time.perf_counter()
    proof = prove_claim(spec, head, 0, WORKER, store, keep_every=1, device=device, job_key=JOB_KEY)
    seconds = time.perf_counter() - started
    artifacts = {proof.transcript.root: proof.transcript.to_bytes(), **store.blobs}

    def fetch(artifact_id: bytes) -> bytes:
        if artifact_id not in artifacts:
            raise ArtifactUnavailable(artifact_id, "not produced")
        return artifacts[artifact_id]

    claim = Claim(claim_id=1, worker=WORKER, round=0, base=checkpoint_id(head), result=proof.result_id,
                  transcript_root=proof.transcript.root, steps=proof.transcript.steps, job_key=JOB_KEY)
    verdict = verify_claim(spec, claim, checkpoint_id(head), keccak(b"device check"), VERIFIER, fetch)
    row = {"case": label, "device": device, "decision": verdict.decision, "train_s": round(seconds, 2),
           "reason": verdict.reason}
    print(json.dumps(row, default=str)[:1500], flush=True)
    return row


def main() -> int:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"torch {torch.__version__}, training device {device}"
          f" ({torch.cuda.get_device_name(0) if device == 'cuda' else 'no GPU'}), verifier on cpu", flush=True)
    rows = [
        check("digits exact", digits_spec(steps_per_claim=100, checkpoint_every=10), device),
        check("digits tolerance 1e-4", digits_spec(steps_per_claim=100, checkpoint_every=10,
                                                   verification_mode="tolerance", delta=1e-4), device),
        check("tiny-gpt exact", tiny_gpt_spec(steps_per_claim=20, checkpoint_every=5), device),
        check("tiny-gpt tolerance 1e-3", tiny_gpt_spec(steps_per_claim=20, checkpoint_every=5,
                                                       verification_mode="tolerance", delta=1e-3), device),
    ]
    expected = {"digits exact": "reject", "tiny-gpt exact": "reject"} if device == "cuda" else {}
    ok = all(r["decision"] == expected.get(r["case"], "approve") for r in rows)
    print("device check", "PASSED" if ok else "FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
