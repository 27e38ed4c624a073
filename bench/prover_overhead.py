"""Proving overhead: a plain PyTorch training loop against prove_claim, same model, same steps, one process.

    .venv/bin/python bench/prover_overhead.py            # digits MLP (k=10) and tiny GPT (k=10)
    .venv/bin/python bench/prover_overhead.py --reps 11 --threads 1   # more repetitions, one thread
    python3 bench/prover_overhead.py --device cuda                    # on a GPU machine

The plain loop is what one would write without gradchain: torch's default settings (deterministic algorithms
off), batches drawn with torch.randint, and the same train_step (zero_grad, forward, backward, step,
loss.item()). The proving loop is prove_claim: assigned batches, deterministic settings, a CPU snapshot per
segment, BLAKE3 commitments and safetensors writes on a background thread, a transcript and its root.
Both include building the model and optimizer from the head checkpoint. Repetitions alternate plain and
proving so that drift in machine load hits both; the ratio is of the medians (min ratio printed too).
MKL's strict reproducibility mode (prover/determinism.py) is process-wide, so both loops run under it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import prover.determinism  # noqa: E402,F401  (first: sets MKL_CBWR before any matmul)
import torch  # noqa: E402

from prover import DirStore, digits_spec, genesis, load_dataset, prove_claim, tiny_gpt_spec, train_step  # noqa: E402
from prover.state import build_training_state  # noqa: E402
from prover.jobkey import job_key  # noqa: E402

JOB_KEY = job_key(31337, "0x" + "1d" * 20, 1)  # a made-up ledger: the bench runs off chain

WORKER = "0x" + "a1" * 20


DEVICE = "cpu"


def plain_loop(spec, head) -> float:
    torch.use_deterministic_algorithms(False)  # torch defaults, as an ordinary training script has them
    t0 = time.perf_counter()
    data = load_dataset(spec)
    model, optimizer = build_training_state(spec, head, DEVICE)
    g = torch.Generator().manual_seed(0)
    for _ in range(spec.steps_per_claim):
        idx = torch.randint(data.n_train, (spec.batch_size,), generator=g).tolist()
        train_step(model, optimizer, data.train_batch(idx, DEVICE), spec.optimizer.grad_clip)
    if DEVICE != "cpu":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def proving_loop(spec, head, store_dir: Path, keep_every: int):
    for f in store_dir.glob("*"):
        f.unlink()
    t0 = time.perf_counter()
    proof = prove_claim(spec, head, 0, WORKER, DirStore(store_dir), keep_every=keep_every, device=DEVICE, job_key=JOB_KEY)
    return time.perf_counter() - t0, proof


def bench(name: str, spec, reps: int, keep_every: int) -> None:
    head = genesis(spec)
    with tempfile.TemporaryDirectory() as tmp:
        store_dir = Path(tmp)
        plain_loop(spec, head), proving_loop(spec, head, store_dir, keep_every)  # warm-up: caches, allocator
        plain, proving, commit = [], [], []
        for _ in range(reps):
            plain.append(plain_loop(spec, head))
            seconds, proof = proving_loop(spec, head, store_dir, keep_every)
            proving.append(seconds)
            commit.append(proof.commit_seconds)
        stored = DirStore(store_dir).bytes_stored()
        files = len(list(store_dir.glob("*.safetensors")))
    ckpt_bytes = sum(t.numel() * t.element_size() for t in head.values())
    transcript = len(proof.transcript.to_bytes())
    ratios = [p / q for p, q in zip(proving, plain)]
    print(f"\n{name}: H={spec.steps_per_claim} steps, k={spec.checkpoint_every}, "
          f"S={spec.segments_per_claim} segments, keep_every={keep_every}, {reps} interleaved repetitions, "
          f"{torch.get_num_threads()} torch threads, device {DEVICE}")
    print(f"  plain loop    median {statistics.median(plain) * 1e3:8.1f} ms  "
          f"({statistics.median(plain) / spec.steps_per_claim * 1e3:.2f} ms/step)")
    print(f"  proving loop  median {statistics.median(proving) * 1e3:8.1f} ms  "
          f"(background hashing+storing busy {statistics.median(commit) * 1e3:.1f} ms)")
    print(f"  ratio proving/plain: {statistics.median(proving) / statistics.median(plain):.3f}x median, "
          f"{min(ratios):.3f}x best pair")
    print(f"  checkpoint {ckpt_bytes / 1e3:.1f} kB of tensors; stored per claim: {files} files, "
          f"{stored / 1e3:.1f} kB + transcript {transcript / 1e3:.1f} kB "
          f"(keep_every=1 would store {spec.segments_per_claim + 1} files)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    args = ap.parse_args()
    global DEVICE
    DEVICE = args.device
    if args.threads:
        torch.set_num_threads(args.threads)
    bench("digits MLP 64-64-10, SGD momentum", digits_spec(steps_per_claim=200, checkpoint_every=10),
          args.reps, keep_every=5)
    bench("tiny GPT 2x64, AdamW", tiny_gpt_spec(steps_per_claim=50, checkpoint_every=10),
          max(3, args.reps // 2), keep_every=5)


if __name__ == "__main__":
    main()
