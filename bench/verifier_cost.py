"""Verifier cost per claim against the worker's cost for the same claim, and the detection probability.

    .venv/bin/python bench/verifier_cost.py                 # defaults: H=8000, k=16 (S=500), s=15, m=3, f=0.1
    .venv/bin/python bench/verifier_cost.py --steps 3200 --k 8 --s 15 --mode tolerance

Both sides are measured in this one run, on this machine, with the same torch thread count (1 by default),
as CPU time of the process (time.process_time, which counts the prover's hashing thread too):
- worker: prover.claim.prove_claim for one claim (training plus BLAKE3 commitments of all S + 1 checkpoints);
- verifier: verifier.verify.verify_claim on that claim (transcript parse and structure, result checkpoint
  fetch and check, s start checkpoints decoded and id-checked, s replays via run_segment, comparisons),
  fetching from memory, so network time is left out; one run per verifier address, m addresses.
P(detect) is 1 − (1 − f)^(m·s) (PROTOCOL.md §5), also given exactly for draws without replacement.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from eth_utils import keccak  # noqa: E402

from prover.checkpoint import checkpoint_id, checkpoint_to_bytes  # noqa: E402
from prover.claim import prove_claim  # noqa: E402
from prover.presets import digits_spec  # noqa: E402
from prover.state import genesis  # noqa: E402
from verifier.claim import Claim  # noqa: E402
from verifier.sampling import detection_probability  # noqa: E402
from verifier.verify import verify_claim  # noqa: E402
from prover.jobkey import job_key  # noqa: E402

JOB_KEY = job_key(31337, "0x" + "1d" * 20, 1)  # a made-up ledger: the bench runs off chain


class DictStore(dict):
    def put(self, cid, tensors):
        self[cid] = tensors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=8000, help="H, steps per claim")
    ap.add_argument("--k", type=int, default=16, help="steps per segment")
    ap.add_argument("--s", type=int, default=15, help="segments replayed per verifier")
    ap.add_argument("--verifiers", type=int, default=3, help="m")
    ap.add_argument("--f", type=float, default=0.10, help="fraction of faked segments")
    ap.add_argument("--mode", choices=["exact", "tolerance"], default="exact")
    ap.add_argument("--threads", type=int, default=1, help="torch threads, both sides")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    spec = digits_spec(steps_per_claim=args.steps, checkpoint_every=args.k, samples_per_verifier=args.s,
                       verification_mode=args.mode, delta=1e-4 if args.mode == "tolerance" else 0.0)
    S = spec.segments_per_claim
    worker = "0x" + "a1" * 20
    head = genesis(spec)
    head_id = checkpoint_id(head)

    # Warm-up on both paths (imports, data set load, allocator), not counted.
    warm = digits_spec(steps_per_claim=args.k * 2, checkpoint_every=args.k, samples_per_verifier=1)
    prove_claim(warm, genesis(warm), 0, worker, DictStore(), job_key=JOB_KEY)

    store = DictStore()
    c0, t0 = time.process_time(), time.perf_counter()
    proof = prove_claim(spec, head, 0, worker, store, keep_every=1, job_key=JOB_KEY)
    worker_s, worker_wall = time.process_time() - c0, time.perf_counter() - t0

    t = proof.transcript
    served = {t.root: t.to_bytes(), **{cid: checkpoint_to_bytes(x) for cid, x in store.items()}}
    claim = Claim(claim_id=1, worker=worker, round=0, base=t.base, result=proof.result_id, transcript_root=t.root,
                  steps=t.steps, job_key=JOB_KEY)
    verifier_s, verifier_wall = [], []
    for v in range(args.verifiers):
        address = "0x" + f"{v + 1:040x}"
        c0, t0 = time.process_time(), time.perf_counter()
        verdict = verify_claim(spec, claim, head_id, keccak(b"seed"), address, served.__getitem__)
        verifier_s.append(time.process_time() - c0)
        verifier_wall.append(time.perf_counter() - t0)
        assert verdict.decision == "approve", verdict.reason

    per_verifier = statistics.median(verifier_s)
    p_formula = detection_probability(args.f, args.verifiers, args.s)
    faked = round(args.f * S)
    p_exact = 1 - (math.comb(S - faked, args.s) / math.comb(S, args.s)) ** args.verifiers
    print(f"spec: digits MLP, mode={args.mode}, H={args.steps}, k={args.k}, S={S}, s={args.s}, "
          f"m={args.verifiers}, torch threads={args.threads}")
    print("compute = CPU seconds of this process (time.process_time: all threads, robust to a busy machine)")
    print(f"worker compute per claim      : {worker_s:8.3f} s  (prove_claim, commitments included; "
          f"wall {worker_wall:.3f} s)")
    print(f"verifier compute per claim    : {per_verifier:8.3f} s  (median of {args.verifiers}: "
          + ", ".join(f"{x:.3f}" for x in verifier_s) + f"; wall median {statistics.median(verifier_wall):.3f} s)")
    print(f"verifier / worker             : {per_verifier / worker_s:8.2%} per verifier "
          f"(replayed share of steps s/S = {args.s / S:.2%}); all {args.verifiers}: {sum(verifier_s) / worker_s:.2%}")
    print(f"P(detect), f={args.f:.0%}, m={args.verifiers}: {p_formula:8.4f} = 1-(1-f)^(m*s); "
          f"{p_exact:.4f} exact without replacement ({faked} of {S} faked)")
    print("reference Proof-of-Learning verifier at its defaults re-executes about 50% of training")


if __name__ == "__main__":
    main()
