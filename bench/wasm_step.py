"""The digits MLP's claim throughput in the three places a claim is trained (issue 17), same claim, one run:

    .venv/bin/python bench/wasm_step.py                 # H = 3000 steps (the network preset), 5 repetitions
    .venv/bin/python bench/wasm_step.py --steps 600 --reps 3

- torch: prove_claim on the torch job (digits_network_spec), one thread;
- wasmtime: prove_claim on the wasm job (digits_wasm_network_spec): the same claim through the module;
- browser: the contributor page's own trainer (node/contribute/static/trainer.js) in a Web Worker of headless
  Chromium, at 100 % CPU cap, from the same head, with the same batches.

Each includes the batch derivation and the commitments (checkpoint ids per segment), as a claim does. Steps per
second are steady state (medians over the repetitions, from the end of the first segment to the last); start-up
(the first segment: module compile and instantiation, data, plan) is printed apart. Ratios are taken in this run.
The module's size is printed too.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "audit_v2"))

import prover.determinism  # noqa: E402,F401  (first: MKL_CBWR before any matmul)
import torch  # noqa: E402

from prover.claim import prove_claim  # noqa: E402
from prover.datasets import load_dataset  # noqa: E402
from prover.jobkey import job_key  # noqa: E402
from prover.presets import digits_network_spec, digits_wasm_network_spec  # noqa: E402
from prover.state import genesis  # noqa: E402
from prover.store import DirStore  # noqa: E402
from prover.wasm_engine import MODULE_PATH, module_bytes  # noqa: E402

JOB_KEY = job_key(31337, "0x" + "1d" * 20, 1)
WORKER = "0x" + "ab" * 20

BROWSER_RUN = """
async ({job, head, dataset, module, worker}) => {
  const tensors = {};
  for (const [n, v] of Object.entries(head)) tensors[n] = {shape: v.shape, data: new Float32Array(v.data)};
  const data = {n_train: dataset.n_train, x: new Float32Array(dataset.x), y: new Int32Array(dataset.y)};
  const w = new Worker('/contribute/static/trainer.js', {type: 'module'});
  const marks = {};
  const t0 = performance.now();
  return await new Promise((resolve, reject) => {
    w.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'segment' && m.index === 0) marks.first = performance.now();
      if (m.type === 'error') reject(new Error(m.error));
      if (m.type === 'done') resolve({startup_ms: marks.first - t0, total_ms: performance.now() - t0,
                                      result: m.result});
    };
    w.postMessage({type: 'cap', percent: 100});
    w.postMessage({type: 'start', module: new Uint8Array(module), job, head: tensors, dataset: data, round: 0,
                   worker, tamper: false});
  });
}
"""


def python_run(spec, head, store_dir: Path) -> tuple[float, float, bytes]:
    """(start-up s, steady s per step, result id) of one prove_claim, split at the end of the first segment."""
    marks = []
    started = time.perf_counter()
    proof = prove_claim(spec, head, 0, WORKER, DirStore(store_dir), progress=lambda j, _: marks.append(
        time.perf_counter()), job_key=JOB_KEY, background=False)
    end = time.perf_counter()
    k = spec.checkpoint_every
    return marks[0] - started, (end - marks[0]) / (spec.steps_per_claim - k), proof.result_id


def browser_job(spec) -> dict:
    o = spec.optimizer
    return {"spec_hash": "0x" + spec.spec_hash().hex(), "job_key": "0x" + JOB_KEY.hex(), "n_in": 64,
            "n_hidden": spec.model_config["hidden_sizes"][0], "n_out": 10, "batch_size": spec.batch_size,
            "steps_per_claim": spec.steps_per_claim, "checkpoint_every": spec.checkpoint_every, "lr": o.lr,
            "momentum": o.momentum, "weight_decay": o.weight_decay}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    overrides = {"steps_per_claim": args.steps, "checkpoint_every": args.steps // 30 if args.steps >= 300 else 10}
    torch_spec, wasm_spec = digits_network_spec(**overrides), digits_wasm_network_spec(**overrides)
    head = genesis(wasm_spec)
    runs: dict[str, list[tuple[float, float]]] = {"torch": [], "wasmtime": [], "browser": []}
    results = {}

    from fastapi import FastAPI

    from browser_helpers import browser_page, require_chromium
    from node.api.server import BackgroundServer
    from node.contribute.routes import router

    app = FastAPI()
    app.include_router(router)
    server = BackgroundServer(app).start()
    data = load_dataset(wasm_spec)
    page_args = {"job": browser_job(wasm_spec), "module": list(module_bytes()), "worker": WORKER,
                 "head": {n: {"shape": list(t.shape), "data": t.flatten().tolist()} for n, t in head.items()},
                 "dataset": {"n_train": data.n_train, "x": data.train_x.flatten().tolist(),
                             "y": data.train_y.tolist()}}
    k = wasm_spec.checkpoint_every
    try:
        with browser_page(require_chromium()) as page, tempfile.TemporaryDirectory() as tmp:
            page.goto(server.url + "/contribute/static/page.css")
            for rep in range(args.reps):
                for name, spec in (("torch", torch_spec), ("wasmtime", wasm_spec)):
                    startup, per_step, result = python_run(spec, head, Path(tmp) / f"{name}-{rep}")
                    runs[name].append((startup, per_step))
                    results[name] = result
                out = page.evaluate(BROWSER_RUN, page_args)
                per_step = (out["total_ms"] - out["startup_ms"]) / 1000 / (args.steps - k)
                runs["browser"].append((out["startup_ms"] / 1000, per_step))
                results["browser"] = bytes.fromhex(out["result"][2:])
    finally:
        server.stop()

    print(f"digits MLP 64-64-10, batch {wasm_spec.batch_size}, H = {args.steps} steps, k = {k}, "
          f"{args.reps} repetitions, one thread; the wasm module is {MODULE_PATH.stat().st_size:,} bytes")
    steady = {n: statistics.median(p for _, p in r) for n, r in runs.items()}
    for name, r in runs.items():
        print(f"  {name:9s} steady {1 / steady[name]:8.0f} steps/s ({steady[name] * 1e3:.3f} ms/step), "
              f"start-up {statistics.median(s for s, _ in r):.3f} s")
    print(f"  ratios (steps/s): wasmtime/torch {steady['torch'] / steady['wasmtime']:.2f}, "
          f"browser/wasmtime {steady['wasmtime'] / steady['browser']:.2f}, "
          f"browser/torch {steady['torch'] / steady['browser']:.2f}")
    same = results["browser"] == results["wasmtime"]
    print(f"  browser result == wasmtime result: {same} (torch's differs, another summation order: "
          f"{results['torch'] != results['wasmtime']})")
    if not same:
        sys.exit("the browser's claim is not bit-identical to wasmtime's")


if __name__ == "__main__":
    main()
