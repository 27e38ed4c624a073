"""Numerics profiles (PROTOCOL.md §5.4): exact mode is sound only when worker and verifier run the same arithmetic.

Workers and verifiers run in processes of their own (numerics_roles.py) whose environment picks the CPU code
path: the spec's portable cpu-avx2-strict (ATEN_CPU_CAPABILITY=avx2, MKL_CBWR=AVX2,STRICT) or this machine's
native one (AVX-512 kernels, MKL_CBWR=AUTO,STRICT). This test process itself runs cpu-avx2-strict (conftest.py).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from node.replay_subprocess import SubprocessReplay, replay_for
from node.worker_policy.numerics import check_numerics_for_spec
from prover.numerics import Numerics, profile_env, profile_mismatch
from prover.presets import digits_spec, tiny_gpt_spec
from prover.spec import JobSpec, SpecError
from verifier.replay_source import cannot_run
from verifier.verify import verify_claim

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from numerics_roles import PRESETS, SEED, VERIFIER, dict_fetch, load_package  # noqa: E402

ROOT = HERE.parent.parent
PORTABLE_ENV = profile_env("cpu-avx2-strict")
NATIVE_ENV = {"MKL_CBWR": "AUTO,STRICT"}  # and no ATEN_CPU_CAPABILITY: this CPU's own kernels


def role(which: str, preset: str, d: Path, env: dict[str, str]) -> dict:
    """Run numerics_roles.py in a fresh process whose numerics are set by `env` (before torch loads)."""
    full = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    full.update(env, PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]))
    proc = subprocess.run([sys.executable, str(HERE / "numerics_roles.py"), which, preset, str(d)], env=full,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def claims(tmp_path_factory):
    """Per preset: the same claim trained honestly in the profile, and outside it (native AVX-512 path)."""
    out = {}
    for preset in PRESETS:
        honest, off = tmp_path_factory.mktemp(f"{preset}-avx2"), tmp_path_factory.mktemp(f"{preset}-native")
        out[preset] = {"honest": (honest, role("worker", preset, honest, PORTABLE_ENV)),
                       "off": (off, role("worker", preset, off, NATIVE_ENV))}
        if out[preset]["off"][1]["running"]["cpu_capability"] == "AVX2":
            pytest.skip("this CPU's native path is AVX2: there is no second CPU code path to compare")
    return out


@pytest.mark.parametrize("preset", list(PRESETS))
def test_training_differs_across_cpu_paths(claims, preset):
    """The premise: honest training on AVX-512/AUTO and on AVX2/AVX2,STRICT gives different bits."""
    honest, off = claims[preset]["honest"][1], claims[preset]["off"][1]
    # (on a non-Intel CPU MKL reports AUTO,STRICT for AVX2,STRICT: prover.numerics._mkl_branch_unavailable)
    assert honest["running"]["cpu_capability"] == "AVX2" and profile_mismatch("cpu-avx2-strict", honest["running"]) is None
    assert off["running"]["cpu_capability"].startswith("AVX512") and off["running"]["mkl_cbwr"] == "AUTO,STRICT"
    assert honest["boundaries"][0] == off["boundaries"][0]  # the same genesis
    assert honest["boundaries"][1:] != off["boundaries"][1:]  # measured: both presets differ from segment 0 on


@pytest.mark.parametrize("preset", list(PRESETS))
def test_honest_portable_claim_is_approved_by_a_native_verifier_via_a_profile_subprocess(claims, preset):
    d, worker = claims[preset]["honest"]
    verifier = role("verifier", preset, d, NATIVE_ENV)
    assert verifier["running"]["cpu_capability"].startswith("AVX512")  # it runs another profile itself ...
    assert verifier["verdict"]["decision"] == "approve", verifier["verdict"]
    # ... so every sampled segment (draws with replacement: one or two distinct) was replayed in cpu-avx2-strict
    assert verifier["subprocess_replays"] == len(verifier["verdict"]["reason"]["segments"]) >= 1


@pytest.mark.parametrize("preset", list(PRESETS))
def test_claim_trained_outside_the_profile_is_rejected(claims, preset):
    """The worker ran AVX-512/AUTO for a cpu-avx2-strict job; this process runs the profile and replays."""
    spec = PRESETS[preset]()
    assert replay_for(spec) is None  # in process: this process runs the spec's profile
    claim, artifacts = load_package(claims[preset]["off"][0])
    v = verify_claim(spec, claim, claim.base, SEED, VERIFIER, dict_fetch(artifacts))
    assert v.decision == "reject" and v.reason["check"] == "replay_end", v.reason


def test_a_verifier_that_cannot_run_the_profile_abstains(claims):
    spec = PRESETS["digits"]()
    claim, artifacts = load_package(claims["digits"]["off"][0])  # a claim a real replay rejects (above)
    fetch = dict_fetch(artifacts)

    def check(replay):
        return verify_claim(spec, claim, claim.base, SEED, VERIFIER, fetch, replay=replay)

    # the caller says so
    v = check(cannot_run("cpu-avx2-strict", "cpu-avx512-strict", "no AVX2 path here"))
    assert v.decision == "abstain" and v.reason["check"] == "numerics_profile_unavailable"
    assert v.reason["wanted"] == "cpu-avx2-strict" and v.reason["running"] == "cpu-avx512-strict"
    # the profile subprocess finds that it does not run the profile (ATen forced to its DEFAULT kernels)
    v = check(SubprocessReplay(spec.numerics, extra_env={"ATEN_CPU_CAPABILITY": "default"}))
    assert v.decision == "abstain" and v.reason["check"] == "numerics_profile_unavailable", v.reason
    assert v.reason["running"]["cpu_capability"] == "DEFAULT" and "ATEN_CPU_CAPABILITY=avx2" in v.reason["detail"]
    # the subprocess times out, or cannot start
    v = check(SubprocessReplay(spec.numerics, timeout_s=0.01))
    assert v.decision == "abstain" and v.reason["check"] == "replay_unavailable" and "timed out" in v.reason["detail"]
    v = check(SubprocessReplay(spec.numerics, python="/nonexistent/python"))
    assert v.decision == "abstain" and "could not start" in v.reason["detail"]


def test_worker_refuses_exact_training_outside_the_profile():
    assert profile_mismatch("cpu-avx2-strict") is None  # this process runs the presets' profile
    check_numerics_for_spec(digits_spec())  # so it may train their claims
    check_numerics_for_spec(digits_spec(verification_mode="tolerance", delta=1e-4, numerics="any"))
    with pytest.raises(ValueError, match=r"refusing to train claims of this exact-mode job: this process does not "
                                         r"run numerics profile 'cpu-avx512-strict': ATen CPU capability AVX2"):
        check_numerics_for_spec(digits_spec(numerics="cpu-avx512-strict"))


def test_node_run_applies_the_spec_profile_before_torch_loads(tmp_path):
    """node/numerics_env.py, as `gradchain node run` calls it, in a process that inherited the avx2 profile."""
    spec_file = tmp_path / "spec.json"
    spec_file.write_bytes(digits_spec(numerics="cpu-avx512-strict").canonical_json())
    code = ("import json, sys; from node.numerics_env import apply_spec_numerics; "
            f"apply_spec_numerics({str(spec_file)!r}); assert 'torch' not in sys.modules; "
            "from prover.numerics import running_numerics; print(json.dumps(running_numerics()))")
    env = {**os.environ, **PORTABLE_ENV, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    running = json.loads(proc.stdout)
    assert running["cpu_capability"].startswith("AVX512") and running["mkl_cbwr"] == "AUTO,STRICT"
    assert "numerics profile cpu-avx512-strict" in proc.stderr


# ---- the spec field ---------------------------------------------------------------------------------

def _spec_json(**numerics_changes):
    d = json.loads(digits_spec().canonical_json())
    d["numerics"].update(numerics_changes)
    return d


@pytest.mark.parametrize("change, message", [
    ({"profile": "cpu-fast"}, r"numerics.profile must be one of \['any', 'cpu-avx2-strict', 'cpu-avx512-strict', "
                              r"'cuda-strict'\], got 'cpu-fast'"),
    ({"profile": 3}, r"numerics.profile must be a string, got int 3"),
    ({"tf32": "no"}, r"numerics.tf32 must be true or false, got str 'no'"),
    ({"mkl_cbwr": "AUTO,STRICT"}, r"numerics.mkl_cbwr of profile 'cpu-avx2-strict' must be 'AVX2,STRICT', got"),
    ({"aten_cpu_capability": None}, r"numerics.aten_cpu_capability of profile 'cpu-avx2-strict' must be 'avx2'"),
    ({"dtype": "bfloat16"}, r"numerics.dtype of profile 'cpu-avx2-strict' must be 'float32'"),
    ({"threads": 4}, r"numerics: unknown field\(s\) \['threads'\]"),
    ({"profile": "cuda-strict", "device": "cuda", "aten_cpu_capability": None, "mkl_cbwr": None},
     r"numerics.profile 'cuda-strict' cannot carry an exact-mode job"),
    ({"profile": "any", "device": None, "aten_cpu_capability": None, "mkl_cbwr": None},
     r"numerics.profile 'any' cannot carry an exact-mode job"),
])
def test_numerics_field_is_validated(change, message):
    with pytest.raises(SpecError, match=message):
        JobSpec.from_json(json.dumps(_spec_json(**change)))


def test_numerics_field_is_required_and_an_object():
    d = json.loads(digits_spec().canonical_json())
    for bad, kind in (("cpu-avx2-strict", "str"), (["cpu-avx2-strict"], "list")):  # a bare name is not the field
        d["numerics"] = bad
        with pytest.raises(SpecError, match=rf"numerics must be a JSON object, got {kind}"):
            JobSpec.from_json(json.dumps(d))
    del d["numerics"]
    with pytest.raises(SpecError, match=r"missing field\(s\) \['numerics'\]"):
        JobSpec.from_json(json.dumps(d))


def test_profile_is_part_of_the_spec_hash():
    portable, native = digits_spec(), digits_spec(numerics="cpu-avx512-strict")
    assert portable.numerics == Numerics.named("cpu-avx2-strict") == tiny_gpt_spec().numerics  # presets' default
    assert portable.spec_hash() != native.spec_hash()
    assert JobSpec.from_json(native.canonical_json()) == native
    tolerant = digits_spec(verification_mode="tolerance", delta=1e-4, numerics="any")
    assert tolerant.spec_hash() != digits_spec(verification_mode="tolerance", delta=1e-4).spec_hash()
    assert JobSpec.from_json(tolerant.canonical_json()).numerics.profile == "any"
    assert b'"numerics":{"aten_cpu_capability":"avx2","device":"cpu","dtype":"float32","mkl_cbwr":"AVX2,STRICT",' \
           b'"profile":"cpu-avx2-strict","tf32":false}' in portable.canonical_json()
