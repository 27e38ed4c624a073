"""Calibrate tolerance mode's delta (PROTOCOL.md §5.5): the honest replay distance per preset and device pair.

A reference run (this CPU's native code path, MKL_CBWR=AUTO,STRICT, 1 thread) trains N segments; every other
configuration, as an honest worker would, recomputes each segment from the same start checkpoint. Printed per
(preset, configuration): min / median / p99 / max over the N segments of ‖X_worker − X′‖ / ‖X_worker − X_start‖
for each group (parameters, each optimizer-state kind) and for the loss, the pairwise cosines of the parameter
residuals (verifier/drift.py's rule), and the smallest safe delta (2x the honest maximum over all pairs).

Each configuration runs in its own subprocess, because ATEN_CPU_CAPABILITY and MKL_CBWR are read once, when
torch loads. CUDA is a pair only where a GPU exists; otherwise a line says so.

    python bench/calibrate_delta.py                    # print
    python bench/calibrate_delta.py --write prover/calibration.json   # and commit the table job create reads
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

WORKER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
JOB_KEY = bytes.fromhex("1d" * 32)  # any fixed job: the bench compares replays of one job with each other
SAFETY = 2.0  # safe delta = SAFETY x the honest maximum

# name -> (environment, threads, step variant, device)
CONFIGS = {
    "reference": ({}, 1, "plain", "cpu"),
    "threads=2": ({}, 2, "plain", "cpu"),
    "threads=2 MKL_CBWR=AUTO": ({"MKL_CBWR": "AUTO"}, 2, "plain", "cpu"),
    "avx2 MKL_CBWR=AVX2,STRICT": ({"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT"}, 1, "plain", "cpu"),
    "avx2 threads=2 MKL_CBWR=AVX2": ({"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}, 2, "plain", "cpu"),
    "two micro-batches": ({}, 1, "microbatch", "cpu"),
    "cuda": ({}, 1, "plain", "cuda"),
}


def preset_spec(name: str, segments: int):
    from prover.presets import digits_spec, tiny_gpt_spec

    if name == "mlp-digits":
        return digits_spec(steps_per_claim=10 * segments, checkpoint_every=10, verification_mode="tolerance",
                           delta=1e-4)
    return tiny_gpt_spec(steps_per_claim=5 * segments, checkpoint_every=5, verification_mode="tolerance",
                         delta=1e-3)


# ---- child: one configuration --------------------------------------------------------------------------

def microbatch_segment(spec, start, spec_hash, round, worker, first_step, k, device):
    """The batch's mean-loss gradient accumulated over two halves: same math, other summation order."""
    import torch

    from prover.assignment import batch_indices
    from prover.datasets import load_dataset
    from prover.determinism import configure_determinism
    from prover.state import build_training_state, state_tensors

    configure_determinism()
    data = load_dataset(spec)
    model, optimizer = build_training_state(spec, start, device)
    losses = []
    for step in range(first_step, first_step + k):
        x, y = data.train_batch(batch_indices(spec_hash, round, worker, step, data.n_train, spec.batch_size, job_key=JOB_KEY), device)
        optimizer.zero_grad(set_to_none=True)
        n, total = x.shape[0], 0.0
        for part in (slice(0, n // 2), slice(n // 2, n)):
            _, loss = model(x[part], y[part])
            w = (part.stop - part.start) / n
            (loss * w).backward()
            total += loss.item() * w
        if spec.optimizer.grad_clip > 0.0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), spec.optimizer.grad_clip, foreach=False)
        optimizer.step()
        losses.append(total)
    return state_tensors(model, optimizer), tuple(losses)


def child(config: str, preset: str, segments: int, path_in: str, path_out: str) -> None:
    import torch

    from prover.state import genesis
    from prover.step import run_segment

    _, threads, variant, device = CONFIGS[config]
    torch.set_num_threads(threads)
    spec = preset_spec(preset, segments)
    h, k = spec.spec_hash(), spec.checkpoint_every
    step = microbatch_segment if variant == "microbatch" else functools.partial(run_segment, job_key=JOB_KEY)
    if path_in == "-":  # the reference: train the chain itself
        starts, ends, losses = [genesis(spec)], [], []
        for j in range(segments):
            end, ls = run_segment(spec, starts[-1], h, 0, WORKER, j * k, k, job_key=JOB_KEY)
            ends.append(end)
            losses.append(ls)
            starts.append(end)
        save_run(path_out, {"starts": starts[:-1], "ends": ends}, {"losses": losses})
        return
    starts = load_run(path_in)["starts"]
    ends, losses = [], []
    for j, start in enumerate(starts):
        end, ls = step(spec, start, h, 0, WORKER, j * k, k, device)
        ends.append({n: t.cpu() for n, t in end.items()})
        losses.append(ls)
    save_run(path_out, {"ends": ends}, {"losses": losses, "capability": torch.backends.cpu.get_cpu_capability()})


# ---- files between parent and children: safetensors, never pickle ---------------------------------------

def save_run(path: str, lists: dict[str, list[dict]], meta: dict) -> None:
    """Lists of checkpoints as one safetensors file (`list/j/name`), other values as JSON metadata."""
    from safetensors.torch import save_file

    flat = {f"{key}/{j}/{name}": t.contiguous() for key, items in lists.items()
            for j, tensors in enumerate(items) for name, t in tensors.items()}
    save_file(flat, path, metadata={"meta": json.dumps(meta), "lists": json.dumps(list(lists))})


def load_run(path: str) -> dict:
    from safetensors import safe_open

    with safe_open(path, framework="pt") as f:
        header = f.metadata()
        out: dict = json.loads(header["meta"])
        for key in json.loads(header["lists"]):
            out[key] = []
        for name in f.keys():
            key, j, tensor = name.split("/", 2)
            items = out[key]
            while len(items) <= int(j):
                items.append({})
            items[int(j)][tensor] = f.get_tensor(name)
    return out


# ---- parent: compare ---------------------------------------------------------------------------------

def run_child(config: str, preset: str, segments: int, path_in: str, path_out: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    env.update(CONFIGS[config][0])
    env["PYTHONPATH"] = ROOT
    subprocess.run([sys.executable, os.path.abspath(__file__), "--child", config, preset, str(segments), path_in,
                    path_out], env=env, check=True)


def summary(values: list[float]) -> dict:
    v = sorted(values)
    return {"min": v[0], "median": statistics.median(v), "p99": v[min(len(v) - 1, int(0.99 * len(v)))],
            "max": v[-1]}


def compare(reference: dict, worker: dict) -> tuple[dict[str, list[float]], list[float], list[float]]:
    """Per group distances over segments (the worker's end committed, the reference's end replayed), the loss
    distances, and all pairwise residual cosines."""
    from verifier.drift import pairwise_cosines, param_residual
    from verifier.replay import tolerance_distances

    groups: dict[str, list[float]] = {}
    loss_d, residuals = [], {}
    for j, (start, replayed, committed) in enumerate(zip(reference["starts"], reference["ends"], worker["ends"])):
        for g, d in tolerance_distances(start, committed, replayed).items():
            groups.setdefault(g, []).append(d)
        loss_d += [abs(a - b) / max(1.0, abs(b)) for a, b in zip(reference["losses"][j], worker["losses"][j])]
        residuals[j] = param_residual(committed, replayed)
    return groups, loss_d, [c for _, _, c in pairwise_cosines(residuals)]


def fmt(s: dict) -> str:
    return " ".join(f"{k}={v:.3g}" for k, v in s.items())


def calibrate(preset: str, segments: int, tmp: str) -> dict:
    import torch

    ref_path = os.path.join(tmp, f"{preset}-reference.safetensors")
    run_child("reference", preset, segments, "-", ref_path)
    reference = load_run(ref_path)
    spec = preset_spec(preset, segments)
    print(f"\n## {preset}: {segments} segments of k={spec.checkpoint_every} steps, verifier = reference "
          f"(native {torch.backends.cpu.get_cpu_capability()}, MKL_CBWR=AUTO,STRICT, 1 thread)", flush=True)
    honest_max, pairs = 0.0, {}
    for config, (_, _, _, device) in CONFIGS.items():
        if config == "reference":
            continue
        if device == "cuda" and not torch.cuda.is_available():
            print(f"- {config}: skipped, no CUDA device on this machine", flush=True)
            continue
        out = os.path.join(tmp, f"{preset}-{config}.safetensors".replace(" ", "_").replace("=", "-").replace(",", "-"))
        run_child(config, preset, segments, ref_path, out)
        groups, loss_d, cosines = compare(reference, load_run(out))
        ratio = groups.pop("update_ratio")
        worst = max([max(v) for v in groups.values()] + [max(loss_d)])
        honest_max = max(honest_max, worst)
        print(f"- {config}:", flush=True)
        for g, v in groups.items():
            print(f"    {g:>16}: {fmt(summary(v))}")
        print(f"    {'loss':>16}: {fmt(summary(loss_d))}")
        print(f"    {'update_ratio':>16}: {fmt(summary(ratio))}")
        if cosines:
            print(f"    {'residual cos':>16}: {fmt(summary(cosines))} (|cos| max {max(map(abs, cosines)):.3g}, "
                  f"{len(cosines)} pairs)")
        else:
            print(f"    {'residual cos':>16}: none (every residual is zero: bit-identical to the reference)")
        pairs[config] = {"max_distance": worst, "max_abs_residual_cos": max(map(abs, cosines), default=0.0)}
    safe = SAFETY * honest_max
    print(f"=> {preset}: honest maximum {honest_max:.3g}, smallest safe delta {safe:.3g} ({SAFETY:g}x)", flush=True)
    return {"checkpoint_every": spec.checkpoint_every, "segments": segments, "honest_max": honest_max,
            "safe_delta": safe, "pairs": pairs}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--segments", type=int, default=30)
    ap.add_argument("--presets", default="mlp-digits,tiny-gpt")
    ap.add_argument("--write", help="write the calibration table (JSON) here")
    args = ap.parse_args()
    import torch

    print(f"torch {torch.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"cuda {'yes: ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no'}")
    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.presets.split(","):
            table[preset] = calibrate(preset, args.segments, tmp)
    if args.write:
        doc = {"command": "python bench/calibrate_delta.py " + " ".join(sys.argv[1:]), "torch": torch.__version__,
               "cuda_measured": torch.cuda.is_available(), "safety_factor": SAFETY, "models": table}
        with open(args.write, "w") as f:
            json.dump(doc, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
    else:
        sys.exit(main())
