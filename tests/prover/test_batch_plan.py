"""The prover's fast paths change speed, never bytes: a claim's batch plan, one gather per segment, the joined
BLAKE3 input of a checkpoint id and the one-dtype safetensors writer each give exactly what the plain
derivation, per-step indexing, the spec's hash input and safetensors' own writer give."""

from __future__ import annotations

import blake3
import pytest
import torch
from safetensors.torch import save as st_save

from prover.assignment import batch_indices
from prover.checkpoint import DOMAIN, METADATA_KEY, _raw_bytes, checkpoint_from_bytes, checkpoint_id, checkpoint_to_bytes, dtype_name
from prover.datasets import load_dataset
from prover.state import build_training_state
from prover.step import claim_batches, run_steps, segment_batches

SPEC_HASH, WORKER, KEY = b"\x11" * 32, "0x" + "a1" * 20, b"\x22" * 32


def reference_id(tensors) -> bytes:
    """PROTOCOL.md §3's encoding written out plainly: one update per field, no joining, no caching."""
    h = blake3.blake3()
    h.update(DOMAIN + len(tensors).to_bytes(8, "big"))
    for name in sorted(tensors):
        t = tensors[name]
        raw = _raw_bytes(t)
        name_b, dtype_b = name.encode(), dtype_name(t.dtype).encode()
        for part in (len(name_b).to_bytes(8, "big"), name_b, len(dtype_b).to_bytes(8, "big"), dtype_b,
                     t.dim().to_bytes(8, "big"), *(d.to_bytes(8, "big") for d in t.shape),
                     raw.nbytes.to_bytes(8, "big")):
            h.update(part)
        h.update(raw)
    return h.digest()


@pytest.fixture(params=["digits", "gpt"])
def spec_and_head(request, dspec, dgenesis, gspec):
    from prover import genesis
    return (dspec, dgenesis) if request.param == "digits" else (gspec, genesis(gspec))


def test_claim_batches_row_i_is_the_assignment_of_step_first_plus_i(dspec):
    n = load_dataset(dspec).n_train
    plan = claim_batches(dspec, n, SPEC_HASH, 4, WORKER, 7, 9, job_key=KEY)
    assert plan == [batch_indices(SPEC_HASH, 4, WORKER, s, n, dspec.batch_size, job_key=KEY) for s in range(7, 16)]


def test_one_gather_per_segment_gives_each_steps_own_batch(spec_and_head):
    spec, _ = spec_and_head
    data = load_dataset(spec)
    batches = claim_batches(spec, data.n_train, SPEC_HASH, 0, WORKER, 0, 5, job_key=KEY)
    for (x, y), idx in zip(segment_batches(data, batches), batches, strict=True):
        ex, ey = data.train_batch(idx)
        assert torch.equal(x, ex) and torch.equal(y, ey)
        assert (x.dtype, x.shape, x.stride()) == (ex.dtype, ex.shape, ex.stride())


def test_a_planned_segment_trains_exactly_as_an_unplanned_one(spec_and_head):
    spec, head = spec_and_head
    data = load_dataset(spec)
    k, first = spec.checkpoint_every, spec.checkpoint_every  # the claim's second segment
    plan = claim_batches(spec, data.n_train, SPEC_HASH, 0, WORKER, 0, spec.steps_per_claim, job_key=KEY)
    runs = []
    for p in (plan, None):
        model, opt = build_training_state(spec, head, "cpu")
        losses = run_steps(spec, data, model, opt, SPEC_HASH, 0, WORKER, first, k, job_key=KEY, plan=p)
        runs.append((losses, {n: t.detach().clone() for n, t in model.state_dict().items()}))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(runs[0][1][n], runs[1][1][n]) for n in runs[0][1])


def test_a_plan_of_the_wrong_length_or_a_segment_outside_it_is_refused(dspec, dgenesis):
    data = load_dataset(dspec)
    model, opt = build_training_state(dspec, dgenesis, "cpu")
    plan = claim_batches(dspec, data.n_train, SPEC_HASH, 0, WORKER, 0, dspec.steps_per_claim, job_key=KEY)
    with pytest.raises(ValueError, match="plan has 29 batches, the claim has 30 steps"):
        run_steps(dspec, data, model, opt, SPEC_HASH, 0, WORKER, 0, 10, job_key=KEY, plan=plan[:-1])
    with pytest.raises(ValueError, match="outside the claim's 30 steps"):
        run_steps(dspec, data, model, opt, SPEC_HASH, 0, WORKER, 25, 10, job_key=KEY, plan=plan)


def test_checkpoint_ids_equal_the_plain_encoding(spec_and_head):
    _, head = spec_and_head
    assert checkpoint_id(head) == reference_id(head)
    # Tensors on both sides of the joining threshold, mixed dtypes and a scalar.
    mixed = {"big": torch.arange(40_000, dtype=torch.float32), "b": torch.ones(3), "step": torch.tensor(7.0),
             "i": torch.arange(5, dtype=torch.int64), "w": torch.randn(20_000, dtype=torch.float64)}
    assert checkpoint_id(mixed) == reference_id(mixed)


def test_the_one_dtype_writer_writes_what_safetensors_writes(spec_and_head):
    _, head = spec_and_head
    cid = checkpoint_id(head)
    ours = checkpoint_to_bytes(head)
    assert ours == st_save({n: t.contiguous() for n, t in head.items()}, metadata={METADATA_KEY: "0x" + cid.hex()})
    assert set(checkpoint_from_bytes(ours, cid)) == set(head)
    # A mixed-dtype checkpoint goes through safetensors itself, and reads back the same way.
    mixed = {"w": torch.randn(4, 3), "n": torch.arange(3, dtype=torch.int64)}
    assert checkpoint_to_bytes(mixed) == st_save(mixed, metadata={METADATA_KEY: "0x" + checkpoint_id(mixed).hex()})
