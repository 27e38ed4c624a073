"""Useful work: held-out accuracy of the network's final head against one machine doing the same work.

    .venv/bin/python bench/useful_work.py                 # the demo's defaults: 3 rounds, 3 workers, 5 seeds
    .venv/bin/python bench/useful_work.py --rounds 10     # longer: the trend
    .venv/bin/python bench/useful_work.py --seeds 3 --workers 8 --steps 60 --no-check

The network is the protocol's pure core in one process, no chain: from genesis, R rounds in which W honest
workers (the demo's dev-account addresses, distinct) each run prove_claim on the protocol-assigned batches
of (job key, spec hash, round, worker), and the next head is mean_checkpoints of the round's W results.
The protocol averages accepted results in claim-id order (node/heads.py); claim ids follow submission
order, which a bench has no chain for, so the results are averaged in worker order instead (the order only
moves float32 rounding). Every claim is accepted: this measures the useful work of honest rounds, not the
defences. Defaults are those of a plain `gradchain demo`: its --rounds, its honest workers (the demo's
cheater's claims never reach a head, so they are not counted), and the digits preset's H, k, batch size.

Two single-machine baselines train from the same genesis, with the same train_step and the same optimizer
(build_training_state: SGD with momentum, state starting from genesis's zeros) on torch.randint batches
from a generator seeded with the seed, and see the same number of samples, R*W*H*B:
  (a) same total steps:   R*W*H sequential steps at batch size B;
  (b) same sequential depth: R*H steps at batch size W*B (the samples of a round's W claims in one batch).
Each seed changes both the spec's seed (genesis weights) and the job key (every assigned batch).
The ratio is network accuracy / baseline accuracy; the check is on the mean ratio against (a), >= 0.99.
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Nodes train in the presets' numerics profile (node/numerics_env.py applies it before torch loads): so does
# the bench. prover.numerics does not import torch; an operator's explicit setting wins.
from prover.numerics import PORTABLE, profile_env  # noqa: E402

for _name, _value in profile_env(PORTABLE).items():
    os.environ.setdefault(_name, _value)

import prover.determinism  # noqa: E402,F401  (before any matmul: MKL_CBWR)
import torch  # noqa: E402

from prover import MemoryStore, digits_spec, evaluate, genesis, load_dataset, mean_checkpoints, prove_claim  # noqa: E402
from prover.jobkey import job_key  # noqa: E402
from prover.numerics import profile_mismatch  # noqa: E402
from prover.spec import JobSpec  # noqa: E402
from prover.state import build_training_state, state_tensors  # noqa: E402
from prover.step import train_step  # noqa: E402

CHECK_RATIO = 0.99
CHAIN_ID = 31337  # anvil's, as on the demo's devnet
LEDGER = "0x" + "1d" * 20  # a made-up ledger: the bench runs off chain; the job id varies with the seed


def demo_defaults() -> tuple[int, int]:
    """(rounds, honest workers) of a plain `gradchain demo`: the defaults of the CLI command itself."""
    from node.cli import demo

    params = inspect.signature(demo).parameters
    return params["rounds"].default.default, params["workers"].default.default


def worker_addresses(n: int) -> list[str]:
    """The addresses of the demo's n honest workers (its dev accounts); made-up distinct ones past the devnet's."""
    from node.chain.devaccounts import dev_account
    from node.demo import Cast

    try:
        return [dev_account(i).address for i in Cast.of(n).honest_workers]
    except ValueError:  # more workers than the devnet has accounts for beside the demo's other roles
        return ["0x" + f"{i + 1:040x}" for i in range(n)]


def bench_spec(seed: int, steps: int | None = None) -> JobSpec:
    """The digits preset with this seed, and H = steps if given (k kept if it divides H, else the gcd)."""
    base = digits_spec(seed=seed)
    if steps is None or steps == base.steps_per_claim:
        return base
    import math

    return digits_spec(seed=seed, steps_per_claim=steps, checkpoint_every=math.gcd(steps, base.checkpoint_every))


@dataclass
class SeedResult:
    seed: int
    genesis_acc: float
    network_acc: float
    network_loss: float
    seq_acc: float  # baseline (a): R*W*H steps at batch B
    seq_loss: float
    wide_acc: float  # baseline (b): R*H steps at batch W*B
    wide_loss: float
    # accuracy after each round (network), and after the same samples seen (baselines): R entries each
    network_curve: list[float]
    seq_curve: list[float]
    wide_curve: list[float]
    network_seconds: float
    baseline_seconds: float
    head: dict = field(repr=False, default_factory=dict)  # the network's final head (tensors)

    @property
    def ratio_seq(self) -> float:
        return self.network_acc / self.seq_acc

    @property
    def ratio_wide(self) -> float:
        return self.network_acc / self.wide_acc


@dataclass
class Spread:
    mean: float
    min: float
    max: float
    stdev: float  # sample stdev over seeds (0 with one seed)

    @classmethod
    def of(cls, values: list[float]) -> "Spread":
        return cls(statistics.fmean(values), min(values), max(values),
                   statistics.stdev(values) if len(values) > 1 else 0.0)


@dataclass
class BenchResult:
    rounds: int
    workers: int
    steps: int
    checkpoint_every: int
    batch_size: int
    seeds: list[SeedResult]
    wall_seconds: float

    @property
    def ratio_seq(self) -> Spread:
        return Spread.of([s.ratio_seq for s in self.seeds])

    @property
    def ratio_wide(self) -> Spread:
        return Spread.of([s.ratio_wide for s in self.seeds])


def _baseline(spec: JobSpec, head, steps: int, batch_size: int, every: int, seed: int):
    """Single-machine SGD from `head`: `steps` steps on torch.randint batches; accuracy every `every` steps."""
    data = load_dataset(spec)
    model, optimizer = build_training_state(spec, head)
    g = torch.Generator().manual_seed(seed)
    curve = []
    for step in range(1, steps + 1):
        idx = torch.randint(data.n_train, (batch_size,), generator=g).tolist()
        train_step(model, optimizer, data.train_batch(idx), spec.optimizer.grad_clip)
        if step % every == 0:
            curve.append(evaluate(spec, state_tensors(model, optimizer))["accuracy"])
    final = evaluate(spec, state_tensors(model, optimizer))
    return final, curve


def run_seed(seed: int, rounds: int, workers: int, steps: int | None = None) -> SeedResult:
    """One seed: R network rounds of W claims each, and both baselines from the same genesis."""
    spec = bench_spec(seed, steps)
    H, B = spec.steps_per_claim, spec.batch_size
    key = job_key(CHAIN_ID, LEDGER, 1 + seed)
    addresses = worker_addresses(workers)
    g0 = genesis(spec)
    genesis_acc = evaluate(spec, g0)["accuracy"]

    t0 = time.perf_counter()
    head, network_curve = g0, []
    for r in range(rounds):
        # keep_every = S: only the head and the result are stored (the bench never regenerates)
        results = [prove_claim(spec, head, r, w, MemoryStore(), keep_every=spec.segments_per_claim,
                               job_key=key).result_tensors for w in addresses]
        head = mean_checkpoints(results)  # worker order (the protocol: claim-id order; see the docstring)
        network_curve.append(evaluate(spec, head)["accuracy"])
    network = evaluate(spec, head)
    t1 = time.perf_counter()
    seq, seq_curve = _baseline(spec, g0, rounds * workers * H, B, workers * H, seed)
    wide, wide_curve = _baseline(spec, g0, rounds * H, workers * B, H, seed)
    t2 = time.perf_counter()
    return SeedResult(seed, genesis_acc, network["accuracy"], network["loss"], seq["accuracy"], seq["loss"],
                      wide["accuracy"], wide["loss"], network_curve, seq_curve, wide_curve, t1 - t0, t2 - t1,
                      head)


def run_bench(seeds: int, rounds: int, workers: int, steps: int | None = None, progress=None) -> BenchResult:
    t0 = time.perf_counter()
    results = []
    for seed in range(seeds):
        results.append(run_seed(seed, rounds, workers, steps))
        if progress is not None:
            progress(results[-1])
    spec = bench_spec(0, steps)
    return BenchResult(rounds, workers, spec.steps_per_claim, spec.checkpoint_every, spec.batch_size, results,
                       time.perf_counter() - t0)


def seed_line(s: SeedResult) -> str:
    return (f"  seed {s.seed}: genesis {s.genesis_acc:.4f}  network {s.network_acc:.4f} (loss {s.network_loss:.3f})"
            f"  (a) {s.seq_acc:.4f} (loss {s.seq_loss:.3f})  (b) {s.wide_acc:.4f} (loss {s.wide_loss:.3f})"
            f"  ratio a {s.ratio_seq:.4f}  ratio b {s.ratio_wide:.4f}")


def spread_line(label: str, sp: Spread) -> str:
    return f"  {label}: mean {sp.mean:.4f}  min {sp.min:.4f}  max {sp.max:.4f}  stdev {sp.stdev:.4f}"


def report_lines(res: BenchResult) -> list[str]:
    W, H, B, R = res.workers, res.steps, res.batch_size, res.rounds
    lines = [seed_line(s) for s in res.seeds]
    lines.append(f"accuracy by round, mean over {len(res.seeds)} seeds (baselines at the same samples seen):")
    lines.append(f"  {'round':>5}  {'network':>8}  {'(a)':>8}  {'(b)':>8}")
    for r in range(R):
        lines.append(f"  {r + 1:>5}  {statistics.fmean(s.network_curve[r] for s in res.seeds):8.4f}  "
                     f"{statistics.fmean(s.seq_curve[r] for s in res.seeds):8.4f}  "
                     f"{statistics.fmean(s.wide_curve[r] for s in res.seeds):8.4f}")
    lines.append(f"ratio network / baseline over {len(res.seeds)} seeds:")
    lines.append(spread_line(f"(a) same total steps, {R * W * H} steps at batch {B}", res.ratio_seq))
    lines.append(spread_line(f"(b) same depth, {R * H} steps at batch {W * B}", res.ratio_wide))
    return lines


def main(argv: list[str] | None = None) -> int:
    demo_rounds, demo_workers = demo_defaults()
    preset = digits_spec()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    ap.add_argument("--rounds", type=int, default=demo_rounds, help=f"rounds R (default: the demo's, {demo_rounds})")
    ap.add_argument("--workers", type=int, default=demo_workers,
                    help=f"honest workers W per round (default: the demo's, {demo_workers})")
    ap.add_argument("--steps", type=int, default=preset.steps_per_claim,
                    help=f"steps per claim H (default: the digits preset's, {preset.steps_per_claim})")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    ap.add_argument("--no-check", action="store_true", help=f"exit 0 even if the mean ratio (a) < {CHECK_RATIO}")
    args = ap.parse_args(argv)
    if min(args.seeds, args.rounds, args.workers, args.steps, args.threads) < 1:
        ap.error("--seeds, --rounds, --workers, --steps and --threads must be >= 1")
    torch.set_num_threads(args.threads)
    spec = bench_spec(0, args.steps)
    mismatch = profile_mismatch(spec.numerics)
    W, H, B, R = args.workers, spec.steps_per_claim, spec.batch_size, args.rounds
    print(f"useful work: digits MLP, {R} rounds x {W} workers x H={H} steps (k={spec.checkpoint_every}) at batch "
          f"{B}, lr {spec.optimizer.lr} momentum {spec.optimizer.momentum}; {args.seeds} seeds; "
          f"{torch.get_num_threads()} torch threads; numerics {spec.numerics.profile}"
          + (f" (NOT in effect: {mismatch})" if mismatch else ""))
    print(f"  network: R*W = {R * W} claims, each H steps from the head; head = mean of the round's W results")
    print(f"  (a) same total steps: {R * W * H} sequential steps at batch {B}; "
          f"(b) same depth: {R * H} steps at batch {W * B}; all see {R * W * H * B} samples")
    res = run_bench(args.seeds, R, W, args.steps, progress=lambda s: print(seed_line(s), flush=True))
    for line in report_lines(res)[len(res.seeds):]:  # the seed lines were printed as they came
        print(line)
    network_s = sum(s.network_seconds for s in res.seeds)
    baseline_s = sum(s.baseline_seconds for s in res.seeds)
    print(f"wall time {res.wall_seconds:.1f} s (network, prove_claim + averaging + evals: {network_s:.1f} s; "
          f"baselines with evals: {baseline_s:.1f} s)")
    mean = res.ratio_seq.mean
    if mean < CHECK_RATIO:
        print(f"{'NOTE' if args.no_check else 'FAIL'}: mean ratio against (a) {mean:.4f} < {CHECK_RATIO}")
        return 0 if args.no_check else 1
    print(f"OK: mean ratio against (a) {mean:.4f} >= {CHECK_RATIO}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
