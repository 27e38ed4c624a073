"""The portable step function (issue 17): the committed module is what its source builds with the pinned wat2wasm;
wasmtime runs it deterministically; it trains the digits MLP as torch does (same layout, losses within float
rounding of torch's, never bit-identical: another summation order); and a real headless Chromium (V8, in a Web
Worker, as the contributor page will) computes bit-identical checkpoints from the same batches."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from prover.checkpoint import checkpoint_id
from prover.datasets import load_dataset
from prover.presets import digits_spec, digits_wasm_spec
from prover.spec import EngineSpec, JobSpec, SpecError
from prover.state import genesis
from prover.step import claim_batches, segment_batches
from prover.training import TorchTraining, WasmTraining
from prover.wasm_engine import MODULE_PATH, module_bytes, module_hash

REPO = Path(__file__).resolve().parents[2]
SPEC = digits_wasm_spec()
KEY = b"\x11" * 32
WORKER = "0x" + "22" * 20


def batches(spec: JobSpec, steps: int, first: int = 0):
    data = load_dataset(spec)
    plan = claim_batches(spec, data.n_train, spec.spec_hash(), 0, WORKER, first, steps, job_key=KEY)
    return segment_batches(data, plan)


def test_the_committed_module_is_what_its_source_builds(tmp_path):
    ok = subprocess.run(["bash", "scripts/build_wasm.sh"], cwd=REPO, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "ok: prover/wasm/mlp_sgd.wasm is what prover/wasm/mlp_sgd.wat builds" in ok.stdout
    # A copy of the build whose committed module is not its source's output fails, saying what to do.
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    (copy / "prover" / "wasm").mkdir(parents=True)
    shutil.copy(REPO / "scripts/build_wasm.sh", copy / "scripts")
    shutil.copy(REPO / "prover/wasm/mlp_sgd.wat", copy / "prover/wasm")
    (copy / "prover/wasm/mlp_sgd.wasm").write_bytes(module_bytes()[:-1] + b"\x00")
    (copy / "node_modules").symlink_to(REPO / "node_modules")
    bad = subprocess.run(["bash", "scripts/build_wasm.sh"], cwd=copy, capture_output=True, text=True)
    assert bad.returncode == 1 and "is not what prover/wasm/mlp_sgd.wat builds" in bad.stderr, bad


def test_the_spec_pins_the_module_and_torch_jobs_keep_their_hash():
    assert SPEC.engine == EngineSpec("wasm", module_hash()) and module_hash() == module_hash(MODULE_PATH.read_bytes())
    assert b'"engine"' not in digits_spec().canonical_json()
    assert JobSpec.from_json(SPEC.canonical_json()) == SPEC
    assert JobSpec.from_json(digits_spec().canonical_json()).spec_hash() == digits_spec().spec_hash()
    assert SPEC.spec_hash() != digits_spec().spec_hash()


@pytest.mark.parametrize("change, message", [
    (dict(model="tiny-gpt", model_config={}), "runs the mlp-digits model"),
    (dict(model_config={"hidden_sizes": [32, 32]}), "one hidden layer"),
    (dict(verification_mode="tolerance", delta=0.01), "verification_mode 'exact'"),
])
def test_a_wasm_spec_the_module_cannot_run_is_refused_naming_why(change, message):
    with pytest.raises(SpecError, match=message):
        SPEC.replace(**change)


def test_a_malformed_engine_is_named():
    with pytest.raises(SpecError, match="engine.module_hash must be 0x followed by 64 hex digits"):
        EngineSpec("wasm", "0x12")
    with pytest.raises(SpecError, match=r"engine.name must be one of \['wasm'\]"):
        EngineSpec("cuda", "0x" + "00" * 32)
    obj = {**__import__("json").loads(SPEC.canonical_json()), "engine": {"name": "wasm"}}
    with pytest.raises(SpecError, match="engine: missing field"):
        JobSpec.from_json(obj)


def test_wasmtime_runs_are_bit_identical_and_follow_torch_within_rounding():
    head = genesis(SPEC)
    steps = batches(SPEC, 30)
    runs = []
    for _ in range(2):
        t = WasmTraining(SPEC, head)
        runs.append((t.steps(steps), checkpoint_id(t.snapshot()), t.snapshot()))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    torch_run = TorchTraining(digits_spec(), head)
    torch_losses = torch_run.steps(steps)
    wasm_losses, _, wasm_state = runs[0]
    assert wasm_losses == pytest.approx(torch_losses, rel=1e-5, abs=1e-6)
    assert wasm_losses[-1] < wasm_losses[0] - 1.0, "30 steps of SGD with momentum must learn"
    torch_state = torch_run.snapshot()
    assert wasm_state.keys() == torch_state.keys() == head.keys()
    for name, t in torch_state.items():
        assert wasm_state[name].dtype == t.dtype == torch.float32 and wasm_state[name].shape == t.shape
        assert torch.allclose(wasm_state[name], t, rtol=1e-4, atol=1e-5), name
    assert runs[0][1] != checkpoint_id(torch_state), "another summation order: never the same bits"


WORKER_JS = """
async ({bytes, dims, params, momentum, steps, hyper}) => {
  const src = `onmessage = async (e) => {
    const {bytes, dims, params, momentum, steps, hyper} = e.data;
    const {instance} = await WebAssembly.instantiate(new Uint8Array(bytes));
    const ex = instance.exports;
    const status = ex.configure(...dims);
    if (status !== 0) { postMessage({error: 'configure returned ' + status}); return; }
    const f32 = (r, n) => new Float32Array(ex.memory.buffer, ex.offset(r), n);
    params.forEach((p, i) => f32(i, p.length).set(p));
    momentum.forEach((m, i) => f32(4 + i, m.length).set(m));
    const losses = [];
    for (const [x, y] of steps) {
      f32(8, x.length).set(x);
      new Int32Array(ex.memory.buffer, ex.offset(9), y.length).set(y);
      losses.push(ex.train_step(y.length, hyper[0], hyper[1], hyper[2]));
    }
    postMessage({losses, params: params.map((p, i) => Array.from(f32(i, p.length))),
                 momentum: momentum.map((m, i) => Array.from(f32(4 + i, m.length)))});
  };`;
  const worker = new Worker(URL.createObjectURL(new Blob([src], {type: 'text/javascript'})));
  return await new Promise((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({bytes, dims, params, momentum, steps, hyper});
  });
}
"""


def test_chromium_computes_the_same_checkpoint_bits_as_wasmtime():
    sys.path.insert(0, str(REPO / "tests" / "audit_v2"))
    from browser_helpers import browser_page, require_chromium

    sync_api = require_chromium()
    head = genesis(SPEC)
    steps = batches(SPEC, 20)
    names = ("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias")
    o = SPEC.optimizer
    args = {"bytes": list(module_bytes()), "dims": [64, 64, 10, SPEC.batch_size],
            "params": [head[f"param/{n}"].flatten().tolist() for n in names],
            "momentum": [head[f"optim/{n}/momentum_buffer"].flatten().tolist() for n in names],
            "steps": [[x.flatten().tolist(), y.tolist()] for x, y in steps], "hyper": [o.lr, o.momentum, o.weight_decay]}
    with browser_page(sync_api) as page:
        out = page.evaluate(WORKER_JS, args)
    assert "error" not in out, out
    browser = {}
    for i, n in enumerate(names):
        shape = head[f"param/{n}"].shape
        browser[f"param/{n}"] = torch.tensor(out["params"][i], dtype=torch.float32).reshape(shape)
        browser[f"optim/{n}/momentum_buffer"] = torch.tensor(out["momentum"][i], dtype=torch.float32).reshape(shape)
    here = WasmTraining(SPEC, head)
    losses = here.steps(steps)
    assert out["losses"] == losses
    assert checkpoint_id(dict(sorted(browser.items()))) == checkpoint_id(here.snapshot())
