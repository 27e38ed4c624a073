"""Proving overhead: a plain PyTorch training loop against prove_claim, same model, same steps, one process.

    .venv/bin/python bench/prover_overhead.py            # digits MLP (k=10) and tiny GPT (k=10)
    .venv/bin/python bench/prover_overhead.py --reps 61 --threads 1   # more repetitions, one thread
    python3 bench/prover_overhead.py --device cuda                    # on a GPU machine

The plain loop is what one would write without gradchain: torch's default settings (deterministic algorithms
off), batches drawn with torch.randint, and the same train_step (zero_grad, forward, backward, step,
loss.item()). The proving loop is prove_claim: assigned batches, deterministic settings, a CPU snapshot per
segment, BLAKE3 commitments and safetensors writes on a background thread, a transcript and its root.
Both include building the model and optimizer from the head checkpoint. Repetitions alternate plain and
proving so that drift in machine load hits both; the ratio is of the medians. On a shared machine single runs
spread by 10% or more, so each loop's interquartile range and the quartiles of the per-pair ratios are printed
too, and the defaults repeat enough (--reps for the MLP, a third as many for the slower GPT) for the medians to
hold to a few percent. Each loop is also split at the end of its first segment (k steps): "start-up" is the
data set, the model and, for proving, the claim's batch plan and the head's commitment plus one segment;
"steady state" is the rest, per step.
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
from prover.claim import BACKGROUND_MIN_BYTES  # noqa: E402
from prover.state import build_training_state  # noqa: E402
from prover.jobkey import job_key  # noqa: E402

JOB_KEY = job_key(31337, "0x" + "1d" * 20, 1)  # a made-up ledger: the bench runs off chain

WORKER = "0x" + "a1" * 20


DEVICE = "cpu"


def plain_loop(spec, head) -> tuple[float, float]:
    """Seconds for the whole loop, and up to the end of its first k steps."""
    torch.use_deterministic_algorithms(False)  # torch defaults, as an ordinary training script has them
    t0 = time.perf_counter()
    data = load_dataset(spec)
    model, optimizer = build_training_state(spec, head, DEVICE)
    g = torch.Generator().manual_seed(0)
    first = spec.checkpoint_every - 1
    for step in range(spec.steps_per_claim):
        idx = torch.randint(data.n_train, (spec.batch_size,), generator=g).tolist()
        train_step(model, optimizer, data.train_batch(idx, DEVICE), spec.optimizer.grad_clip)
        if step == first:
            t_first = time.perf_counter()
    if DEVICE != "cpu":
        torch.cuda.synchronize()
    return time.perf_counter() - t0, t_first - t0


def proving_loop(spec, head, store_dir: Path, keep_every: int):
    """Seconds for prove_claim, up to the end of its first segment (progress callback), and the proof."""
    for f in store_dir.glob("*"):
        f.unlink()
    marks = []
    t0 = time.perf_counter()
    proof = prove_claim(spec, head, 0, WORKER, DirStore(store_dir), keep_every=keep_every, device=DEVICE,
                        job_key=JOB_KEY, progress=lambda j, losses: marks.append(time.perf_counter()) if j == 0 else None)
    return time.perf_counter() - t0, marks[0] - t0, proof


def _spread(values: list[float], scale: float = 1e3) -> str:
    q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return f"median {med * scale:8.1f} ms, IQR {q1 * scale:.1f}-{q3 * scale:.1f}"


def bench(name: str, spec, reps: int, keep_every: int) -> None:
    head = genesis(spec)
    H, k = spec.steps_per_claim, spec.checkpoint_every
    with tempfile.TemporaryDirectory() as tmp:
        store_dir = Path(tmp)
        plain_loop(spec, head), proving_loop(spec, head, store_dir, keep_every)  # warm-up: caches, allocator
        plain, plain_first, proving, proving_first, commit = [], [], [], [], []
        for _ in range(reps):
            total, first = plain_loop(spec, head)
            plain.append(total), plain_first.append(first)
            total, first, proof = proving_loop(spec, head, store_dir, keep_every)
            proving.append(total), proving_first.append(first), commit.append(proof.commit_seconds)
        stored = DirStore(store_dir).bytes_stored()
        files = len(list(store_dir.glob("*.safetensors")))
    ckpt_bytes = sum(t.numel() * t.element_size() for t in head.values())
    where = "on a helper thread" if ckpt_bytes >= BACKGROUND_MIN_BYTES else "inline"
    transcript = len(proof.transcript.to_bytes())
    med = statistics.median
    ratios = [p / q for p, q in zip(proving, plain)]
    r1, r2, r3 = statistics.quantiles(ratios, n=4, method="inclusive")
    steady = {label: [(t - f) / (H - k) for t, f in zip(totals, firsts)]
              for label, totals, firsts in (("plain", plain, plain_first), ("proving", proving, proving_first))}
    print(f"\n{name}: H={H} steps, k={k}, S={spec.segments_per_claim} segments, keep_every={keep_every}, "
          f"{reps} interleaved repetitions, {torch.get_num_threads()} torch threads, device {DEVICE}")
    print(f"  plain loop    {_spread(plain)}  ({med(plain) / H * 1e3:.2f} ms/step)")
    print(f"  proving loop  {_spread(proving)}  (hashing+storing {med(commit) * 1e3:.1f} ms, {where})")
    print(f"  ratio proving/plain: {med(proving) / med(plain):.3f}x median; per interleaved pair "
          f"median {r2:.3f}x, quartiles {r1:.3f}-{r3:.3f}x")
    print(f"  start-up + first segment: plain {med(plain_first) * 1e3:.1f} ms, proving "
          f"{med(proving_first) * 1e3:.1f} ms; steady state: plain {med(steady['plain']) * 1e3:.3f} ms/step, "
          f"proving {med(steady['proving']) * 1e3:.3f} ms/step, "
          f"ratio {med(steady['proving']) / med(steady['plain']):.3f}x")
    print(f"  checkpoint {ckpt_bytes / 1e3:.1f} kB of tensors; stored per claim: {files} files, "
          f"{stored / 1e3:.1f} kB + transcript {transcript / 1e3:.1f} kB "
          f"(keep_every=1 would store {spec.segments_per_claim + 1} files)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=41, help="repetitions of the MLP; the GPT gets a third as many")
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
          max(3, args.reps // 3), keep_every=5)


if __name__ == "__main__":
    main()
