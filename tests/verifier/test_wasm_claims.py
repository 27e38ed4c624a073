"""A wasm job's claims (issue 17) through the real verifier over real HTTP: an honest claim proved by prove_claim
with the committed module is approved on a full replay; a claim trained by a tampered module (its update altered:
the learning rate's sign of one layer flipped at build time, a test hook a cheating page would use) is rejected
on the first segment it touches, since the verifier replays with the job's own module."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from eth_utils import keccak

from prover.checkpoint import checkpoint_id
from prover.claim import prove_claim
from prover.presets import digits_spec, digits_wasm_spec
from prover.state import genesis
from prover.store import DirStore
from prover.training import WasmTraining
from prover.datasets import load_dataset
from prover.step import segment_plan
from prover.wasm_engine import SOURCE_PATH, module_hash
from verifier.verify import verify_claim
from verifier_helpers import JOB_KEY, address, package, to_f32

REPO = Path(__file__).resolve().parents[2]
SEED = keccak(b"blockhash(submitBlock + 2)")
VERIFIER = address(1, 0xB)
WORKER = address(7)
SPEC = digits_wasm_spec(steps_per_claim=20, checkpoint_every=5)


def tampered_module(tmp_path: Path) -> bytes:
    """The module with the last layer's update reversed (p += lr·buf instead of p -= lr·buf): built from the
    committed source with the same wat2wasm, so everything else about it is the job's module."""
    source = SOURCE_PATH.read_text()
    honest = ("(call $sgd (call $off (i32.const 2)) (call $off (i32.const 14)) (call $off (i32.const 6))\n"
              "               (i32.mul (local.get $no) (local.get $nh)) (local.get $lr)")
    assert source.count(honest) == 1, "the source changed: update this test's hook"
    (tmp_path / "t.wat").write_text(source.replace(honest, honest.replace("(local.get $lr)",
                                                                          "(f32.neg (local.get $lr))")))
    subprocess.run([str(REPO / "node_modules/.bin/wat2wasm"), str(tmp_path / "t.wat"), "-o", str(tmp_path / "t.wasm")],
                   check=True)
    return (tmp_path / "t.wasm").read_bytes()


def trained_with(module: bytes, head, round_: int = 0):
    """Boundary checkpoints and losses of a whole claim, stepped by `module` segment by segment."""
    data, k = load_dataset(SPEC), SPEC.checkpoint_every
    boundaries, losses = [head], []
    for j in range(SPEC.segments_per_claim):
        training = WasmTraining(SPEC, boundaries[-1], module=module)
        ls = training.steps(segment_plan(SPEC, data, SPEC.spec_hash(), round_, WORKER, j * k, k, job_key=JOB_KEY))
        boundaries.append(training.snapshot())
        losses.append(tuple(to_f32(x) for x in ls))
    return boundaries, losses


def judge(server, ns, pkg, head_id):
    server.publish(ns, pkg.artifacts)
    with server.fetcher(ns) as fetch:
        return verify_claim(SPEC, pkg.claim, head_id, SEED, VERIFIER, fetch, every_segment=True)


def test_an_honest_wasm_claim_is_approved_on_a_full_replay(artifact_server, tmp_path):
    assert SPEC.engine.module_hash == module_hash() and SPEC.spec_hash() != digits_spec(
        steps_per_claim=20, checkpoint_every=5).spec_hash()
    head = genesis(SPEC)
    proof = prove_claim(SPEC, head, 0, WORKER, DirStore(tmp_path / "store"), job_key=JOB_KEY)
    # prove_claim's own boundaries equal a segment-by-segment run: one step function however it is driven.
    boundaries, losses = trained_with((REPO / "prover/wasm/mlp_sgd.wasm").read_bytes(), head)
    assert [checkpoint_id(b) for b in boundaries] == proof.transcript.boundary_ids()
    assert [s.losses for s in proof.transcript.segments] == losses
    v = judge(artifact_server, "wasm-honest", package(SPEC, 0, WORKER, boundaries, losses), checkpoint_id(head))
    assert v.decision == "approve", v.reason


def test_a_claim_from_a_tampered_module_is_rejected(artifact_server, tmp_path):
    head = genesis(SPEC)
    boundaries, losses = trained_with(tampered_module(tmp_path), head)
    v = judge(artifact_server, "wasm-tampered", package(SPEC, 0, WORKER, boundaries, losses), checkpoint_id(head))
    assert v.decision == "reject", v.reason
    assert v.reason["segment"] == 0 and v.reason["check"] == "replay_end", v.reason


def test_a_machine_whose_module_is_not_the_jobs_refuses_to_train():
    from prover.spec import EngineSpec
    from prover.wasm_engine import WasmEngineError

    other = SPEC.replace(engine=EngineSpec("wasm", "0x" + "ab" * 32))
    with pytest.raises(WasmEngineError, match="is not the job's 0xabab"):
        WasmTraining(other, genesis(other))
