"""The proving loop: deterministic roots, replayable segments, regeneration, and training that really learns."""

import math

import pytest
import torch

import prover.step
from prover import (CheckpointMismatch, DirStore, MemoryStore, checkpoint_id, evaluate, genesis,
                    mean_checkpoints, prove_claim, regenerate, run_segment)
from prover.checkpoint import CheckpointError
from prover.claim import kept_boundaries
from job_keys import JOB_KEY, OTHER_JOB_KEY

ALICE = "0x" + "a1" * 20
BOB = "0x" + "b2" * 20
CAROL = "0x" + "c3" * 20


def root_of(spec, head, round=0, worker=ALICE):
    return prove_claim(spec, head, round, worker, MemoryStore(), job_key=JOB_KEY).transcript.root


def test_same_claim_twice_gives_the_same_root(dspec, dgenesis):
    a = prove_claim(dspec, dgenesis, 0, ALICE, MemoryStore(), background=False, job_key=JOB_KEY)
    b = prove_claim(dspec, dgenesis, 0, ALICE.upper().replace("0X", "0x"), MemoryStore(), background=True, job_key=JOB_KEY)
    assert a.transcript.to_bytes() == b.transcript.to_bytes()
    assert a.root == b.root and a.result_id == b.result_id == checkpoint_id(a.result_tensors)
    assert a.transcript.base == checkpoint_id(dgenesis)
    assert len(a.transcript.segments) == dspec.steps_per_claim // dspec.checkpoint_every


def test_root_changes_with_batch_lr_one_step_and_worker(dspec, dgenesis, monkeypatch):
    root = root_of(dspec, dgenesis)
    assert root_of(dspec, dgenesis, worker=BOB) != root  # worker address: different assigned data
    assert root_of(dspec, dgenesis, round=1) != root  # round: different assigned data
    other_job = prove_claim(dspec, dgenesis, 0, ALICE, MemoryStore(), job_key=OTHER_JOB_KEY).transcript
    assert other_job.root != root  # another job: different assigned data, and another header
    lr_spec = dspec.replace(optimizer=type(dspec.optimizer)(**{**dspec.optimizer.__dict__, "lr": 0.05}))
    assert root_of(lr_spec, genesis(lr_spec)) != root  # learning rate
    bs_spec = dspec.replace(batch_size=16)
    assert root_of(bs_spec, genesis(bs_spec)) != root  # batch size

    # One step, one different batch: step 17 (segment 1) trains on other examples than assigned.
    real = prover.step.batch_indices

    def one_step_off(spec_hash, round, worker, step, n_train, batch_size, *, job_key):
        idx = real(spec_hash, round, worker, step, n_train, batch_size, job_key=job_key)
        return [(i + 1) % n_train for i in idx] if step == 17 else idx

    kept = MemoryStore()
    honest = prove_claim(dspec, dgenesis, 0, ALICE, kept, keep_every=1, job_key=JOB_KEY).transcript
    monkeypatch.setattr(prover.step, "batch_indices", one_step_off)
    dishonest = prove_claim(dspec, dgenesis, 0, ALICE, MemoryStore(), job_key=JOB_KEY).transcript
    assert dishonest.root != root
    assert dishonest.segments[0] == honest.segments[0]  # segment 0 untouched...
    assert dishonest.segments[1].end_id != honest.segments[1].end_id  # ...segment 1 differs from step 17
    monkeypatch.undo()
    # and a verifier replaying segment 1 with the assigned batches catches it
    start = kept.get(dishonest.segments[1].start_id)
    end, _ = run_segment(dspec, start, dspec.spec_hash(), 0, ALICE, 10, 10, job_key=JOB_KEY)
    assert checkpoint_id(end) == honest.segments[1].end_id != dishonest.segments[1].end_id


def test_every_segment_replays_exactly(dspec, dgenesis):
    """What an exact-mode verifier does: replay from start_j, compare end id and losses bit for bit."""
    store = MemoryStore()
    proof = prove_claim(dspec, dgenesis, 3, BOB, store, keep_every=1, job_key=JOB_KEY)
    k = dspec.checkpoint_every
    for seg in proof.transcript.segments:
        start = store.get(seg.start_id)
        end, losses = run_segment(dspec, start, dspec.spec_hash(), 3, BOB, seg.index * k, k, job_key=JOB_KEY)
        assert checkpoint_id(end) == seg.end_id
        assert losses == seg.losses


def test_regenerating_an_unstored_checkpoint_gives_the_committed_id(dspec, dgenesis, tmp_path):
    spec = dspec.replace(steps_per_claim=60)  # S = 6 segments
    store = DirStore(tmp_path)
    proof = prove_claim(spec, dgenesis, 0, ALICE, store, keep_every=4, job_key=JOB_KEY)
    ids = proof.transcript.boundary_ids()
    assert kept_boundaries(6, 4) == [0, 4, 6]
    assert [b for b in range(7) if ids[b] in store] == [0, 4, 6]
    assert len(list(tmp_path.glob("*.safetensors"))) == 3
    for b in (1, 3, 5):  # replayed from boundary 0, 0 and 4
        assert ids[b] not in store
        assert checkpoint_id(regenerate(spec, proof.transcript, store, ids[b])) == ids[b]
    assert checkpoint_id(regenerate(spec, proof.transcript, store, ids[6])) == ids[6]  # stored

    # a corrupted stored checkpoint is refused, not served or replayed from
    path = store.file_for(ids[4])
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointMismatch):
        regenerate(spec, proof.transcript, store, ids[5])
    with pytest.raises(CheckpointError, match="not named by the transcript"):
        regenerate(spec, proof.transcript, store, bytes(32))


def test_bit_identical_across_cpu_thread_counts(dspec, dgenesis, gspec):
    before = torch.get_num_threads()
    try:
        roots = {}
        for n in (1, 2):
            torch.set_num_threads(n)
            roots[n] = (root_of(dspec, dgenesis), root_of(gspec.replace(steps_per_claim=5), genesis(gspec)))
    finally:
        torch.set_num_threads(before)
    assert roots[1] == roots[2]


def test_rounds_of_averaged_claims_lower_heldout_loss(dspec, dgenesis):
    """Three rounds, three workers each, head = mean of their results (PROTOCOL.md §6)."""
    start = evaluate(dspec, dgenesis)
    # Untrained: about ln(10) = 2.30 nats, the loss of a uniform guess over 10 classes, and ~10 % accuracy.
    assert abs(start["loss"] - math.log(10)) < 0.1
    head = dgenesis
    for r in range(3):
        results = [prove_claim(dspec, head, r, w, MemoryStore(), job_key=JOB_KEY).result_tensors for w in (ALICE, BOB, CAROL)]
        head = mean_checkpoints(results)  # order = claim-id order, chosen by the caller
    end = evaluate(dspec, head)
    # 0.5 nats means the model puts on average e^-0.5 = 61 % (geometric mean) on the right digit: far from
    # chance, yet reached with margin by 90 steps per worker (measured: about 0.15 nats, 96 % accuracy).
    assert end["loss"] < 0.5
    assert end["accuracy"] > 0.85  # chance is 0.10


def test_mean_is_deterministic_float32_in_the_given_order(dgenesis):
    a = dgenesis
    b = {k: v + 1.0 for k, v in a.items()}
    c = {k: v * 3.0 for k, v in a.items()}
    m1, m2 = mean_checkpoints([a, b, c]), mean_checkpoints([a, b, c])
    assert checkpoint_id(m1) == checkpoint_id(m2)
    assert all(v.dtype == torch.float32 for v in m1.values())
    name = "param/layers.0.weight"
    assert torch.equal(m1[name], ((a[name] + b[name]) + c[name]) / 3)
    assert checkpoint_id(mean_checkpoints([a, a])) == checkpoint_id(a)
    with pytest.raises(CheckpointError, match="different tensor names"):
        mean_checkpoints([a, {k: v for k, v in a.items() if k != name}])


def test_tiny_gpt_claim_lowers_the_loss(gspec):
    g = genesis(gspec)
    before = evaluate(gspec, g)
    assert abs(before["loss"] - math.log(256)) < 0.1  # untrained: uniform over 256 bytes = 5.55 nats
    store = MemoryStore()
    proof = prove_claim(gspec, g, 0, ALICE, store, keep_every=2, job_key=JOB_KEY)
    first, last = proof.transcript.segments[0].losses, proof.transcript.segments[-1].losses
    # 20 AdamW steps at lr 3e-3 take a byte model from uniform to roughly unigram statistics (~3 nats).
    assert sum(last) / len(last) < sum(first) / len(first) - 1.0
    after = evaluate(gspec, proof.result_tensors)
    assert after["loss"] < before["loss"] - 1.0 and after["perplexity"] < 50
    # the LM's intermediate checkpoints regenerate exactly too (AdamW state included)
    mid = proof.transcript.boundary_ids()[1]
    assert mid not in store
    assert checkpoint_id(regenerate(gspec, proof.transcript, store, mid)) == mid
