"""Job spec: canonical JSON and hash are stable; malformed specs fail with errors that name the field."""

import json

import pytest

from prover import DatasetSpec, JobSpec, OptimizerSpec, SpecError, digits_spec, tiny_gpt_spec

FIXED_HASH = "0x" + "00" * 31 + "01"


def fixed_spec(**changes):
    """A spec with no machine-dependent input (a made-up content hash): a reference vector."""
    base = dict(model="mlp-digits", model_config={"hidden_sizes": [64]},
                dataset=DatasetSpec("digits", FIXED_HASH, 0.2),
                optimizer=OptimizerSpec("sgd", lr=0.1, momentum=0.9), batch_size=32, steps_per_claim=30,
                checkpoint_every=10, verification_mode="exact", delta=0.0, samples_per_verifier=1, seed=0)
    base.update(changes)
    return JobSpec(**base)


def test_canonical_json_is_sorted_compact_and_pinned():
    spec = fixed_spec()
    raw = spec.canonical_json()
    obj = json.loads(raw)
    assert raw == json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    assert b" " not in raw
    # Reference vector: the contract stores exactly this specHash for this spec (keccak256 of the bytes).
    assert raw == (
        b'{"batch_size":32,"checkpoint_every":10,"dataset":{"content_hash":"0x'
        + b"00" * 31 + b'01","heldout_fraction":0.2,"name":"digits"},"delta":0.0,'
        b'"model":"mlp-digits","model_config":{"hidden_sizes":[64],"n_classes":10,"n_inputs":64},'
        b'"numerics":{"aten_cpu_capability":"avx2","device":"cpu","dtype":"float32","mkl_cbwr":"AVX2,STRICT",'
        b'"profile":"cpu-avx2-strict","tf32":false},'
        b'"optimizer":{"betas":[0.9,0.999],"eps":1e-08,"grad_clip":0.0,"lr":0.1,"momentum":0.9,"name":"sgd",'
        b'"weight_decay":0.0},"samples_per_verifier":1,"seed":0,"steps_per_claim":30,'
        b'"verification_mode":"exact","version":2}')
    from eth_utils import keccak
    assert spec.spec_hash() == keccak(raw) and len(spec.spec_hash()) == 32


def test_round_trip_and_normalization_keep_the_hash():
    spec = fixed_spec()
    assert JobSpec.from_json(spec.canonical_json()) == spec
    assert JobSpec.from_json(spec.canonical_json().decode()).spec_hash() == spec.spec_hash()
    # ints where floats are due, and model_config defaults spelled out or not: same canonical bytes
    assert fixed_spec(optimizer=OptimizerSpec("sgd", lr=0.1, momentum=0.9, grad_clip=0)).spec_hash() == spec.spec_hash()
    assert fixed_spec(model_config={"hidden_sizes": [64], "n_inputs": 64}).spec_hash() == spec.spec_hash()
    # a local file location is not part of the job
    assert spec.with_data_path("/somewhere/else").spec_hash() == spec.spec_hash()
    # every pinned setting moves the hash
    assert fixed_spec(seed=1).spec_hash() != spec.spec_hash()
    assert fixed_spec(optimizer=OptimizerSpec("sgd", lr=0.2, momentum=0.9)).spec_hash() != spec.spec_hash()


def test_presets_are_valid_and_distinct():
    assert digits_spec().spec_hash() != tiny_gpt_spec().spec_hash()
    assert digits_spec(lr=0.05).optimizer.lr == 0.05
    assert digits_spec(steps_per_claim=40).segments_per_claim == 4
    with pytest.raises(SpecError, match="unknown preset override 'lrr'"):
        digits_spec(lrr=0.05)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(colour="red"), r"unknown field\(s\) \['colour'\]"),
    (lambda d: d.pop("seed"), r"missing field\(s\) \['seed'\]"),
    (lambda d: d.update(batch_size="32"), r"field 'batch_size' must be an integer"),
    (lambda d: d.update(batch_size=True), r"field 'batch_size' must be an integer"),
    (lambda d: d.update(delta=None), r"field 'delta' must be a finite number"),
    (lambda d: d["optimizer"].update(nesterov=True), r"optimizer: unknown field\(s\) \['nesterov'\]"),
    (lambda d: d["dataset"].pop("content_hash"), r"dataset: missing field\(s\) \['content_hash'\]"),
    (lambda d: d["model_config"].update(depth=3), r"model_config for 'mlp-digits': unknown field\(s\) \['depth'\]"),
    (lambda d: d.update(steps_per_claim=25), r"steps_per_claim \(25\) must be a multiple of checkpoint_every \(10\)"),
    (lambda d: d.update(model="resnet"), r"model must be one of"),
    (lambda d: d["numerics"].update(tf32=True), r"numerics.tf32 of profile 'cpu-avx2-strict' must be False"),
    (lambda d: d.update(verification_mode="tolerance"), r"delta must be >= 0, and > 0 in tolerance mode"),
    (lambda d: d["dataset"].update(content_hash="0x1234"), r"dataset.content_hash must be 0x followed by 64"),
    (lambda d: d["optimizer"].update(betas=[0.9]), r"optimizer.betas' must be a list of two numbers"),
])
def test_malformed_specs_name_the_field(mutate, message):
    d = json.loads(fixed_spec().canonical_json())
    mutate(d)
    with pytest.raises(SpecError, match=message):
        JobSpec.from_json(json.dumps(d))


def test_not_json_is_a_spec_error():
    with pytest.raises(SpecError, match="not valid JSON"):
        JobSpec.from_json(b"{nope")
    with pytest.raises(SpecError, match="must be a JSON object"):
        JobSpec.from_json("[1, 2]")
