"""The sentinel's planted faults (prover/planted.py) and its challenge (verifier/challenge.plan_blame): every segment
faulty to a juror's replay, nothing else tells it from honest work, and each approver is held to a draw that the
contract accepts and a jury proves faulty."""
from __future__ import annotations

import math

import pytest
import torch
from eth_utils import keccak

from node.roles.v2.sentinel import plant_probability, plants
from prover import MemoryStore, prove_claim
from prover.checkpoint import checkpoint_id, checkpoint_to_bytes
from prover.planted import decoy_address, prove_planted_fault
from verifier.challenge import NO_APPROVER, plan_blame
from verifier.claim import Claim
from verifier.jury import judge_segments
from verifier.sampling import sample_index
from verifier_helpers import EXACT, address, genesis
from job_keys import JOB_KEY
from test_jury import in_memory

SEED = keccak(b"blockhash(submitBlock + 2)")
PLANTED = address(3, 0xD)
HONEST = address(4, 0xD)
SECRET = keccak(b"the sentinel's key")


def served(spec, proof, store: MemoryStore):
    """The claim and every artifact its worker serves (transcript and every boundary checkpoint)."""
    t = proof.transcript
    artifacts = {t.root: t.to_bytes()}
    for cid in t.boundary_ids():
        artifacts[cid] = checkpoint_to_bytes(store.get(cid), cid)
    claim = Claim(claim_id=1, worker=t.worker, round=t.round, base=t.base, result=t.result, transcript_root=t.root,
                  steps=spec.steps_per_claim, job_key=JOB_KEY)
    return claim, artifacts


@pytest.fixture(scope="module")
def claims():
    head = genesis(EXACT)
    out = {}
    for name, make in (("planted", lambda st: prove_planted_fault(EXACT, head, 0, PLANTED, SECRET, st,
                                                                   job_key=JOB_KEY)),
                       ("honest", lambda st: prove_claim(EXACT, head, 0, HONEST, st, keep_every=1, job_key=JOB_KEY))):
        store = MemoryStore()
        proof = make(store)
        out[name] = (proof, *served(EXACT, proof, store))
    return head, out


def test_every_segment_of_a_planted_fault_is_proven_faulty_and_none_of_an_honest_claim(claims):
    head, made = claims
    every = list(range(EXACT.segments_per_claim))
    for name, faulty in (("planted", True), ("honest", False)):
        _, claim, artifacts = made[name]
        judged = judge_segments(EXACT, claim, checkpoint_id(head), SEED, address(9), in_memory(artifacts), every)
        assert [f.faulty for f in judged.findings] == [faulty] * len(every), (name, judged)
        assert judged.structure_fault is None  # well formed: only the replay tells


def test_a_planted_fault_looks_like_honest_work_short_of_replaying_it(claims):
    head, made = claims
    planted, honest = made["planted"][0], made["honest"][0]
    assert planted.transcript.worker == PLANTED.lower() and planted.transcript.base == checkpoint_id(head)
    assert len(planted.transcript.segments) == len(honest.transcript.segments)
    losses = {n: [x for s in made[n][0].transcript.segments for x in s.losses] for n in made}
    assert all(math.isfinite(x) for x in losses["planted"])
    # Same falling curve: first and last losses within 20% of the honest claim's on the same head.
    for i in (0, -1):
        assert abs(losses["planted"][i] - losses["honest"][i]) <= 0.2 * losses["honest"][i], losses
    # Same size of update, tensor by tensor.
    for name, h in head.items():
        def moved(proof):
            return torch.linalg.vector_norm(proof.result_tensors[name] - h).item()
        assert 0.5 <= moved(planted) / moved(honest) <= 2.0, name
    # Every boundary is stored (none can be regenerated from the planted worker's batches).
    assert set(planted.stored_ids) == set(planted.transcript.boundary_ids())
    assert decoy_address(SECRET, 0) != decoy_address(SECRET, 1) != PLANTED


def test_the_blame_holds_each_approver_to_its_first_draw(claims):
    _, made = claims
    _, claim, artifacts = made["planted"]
    S = EXACT.segments_per_claim
    approvers = [address(i, 0xE) for i in range(3)]
    plan = plan_blame(SEED, 1, approvers, S, own_segment=sample_index(SEED, 1, address(9), 0, S))
    held = [(seg, a, i) for seg, a, i in zip(plan.segments, plan.approvers, plan.draw_indices) if a != NO_APPROVER]
    assert [a for _, a, _ in held] == approvers  # each approver once, in order
    for seg, a, i in held:  # what the contract's NotInSample check runs
        assert i == 0 and seg == sample_index(SEED, 1, a, 0, S)
    judged = judge_segments(EXACT, claim, claim.base, SEED, address(9), in_memory(artifacts), list(plan.segments))
    assert all(f.faulty for f in judged.findings)
    assert plan_blame(SEED, 1, [], S) is None  # nobody approved and no draw of its own: nothing to send
    with pytest.raises(ValueError, match="approvers"):
        plan_blame(SEED, 1, ["0x" + "00" * 20], S)


def test_planting_follows_the_rate_and_cannot_be_told_in_advance():
    assert plant_probability(0.05, 19, 1) == pytest.approx(1.0)  # 1 planted per 19 honest: 5% of all claims
    assert plant_probability(0.05, 3, 1) == pytest.approx(0.05 / 0.95 * 3)
    assert plant_probability(0.7, 2, 3) == 1.0  # capped: one claim per identity and round
    with pytest.raises(ValueError, match="rate"):
        plant_probability(1.0, 2, 1)
    rounds = range(4000)
    hits = sum(plants(SECRET, r, 0.25) for r in rounds)
    assert abs(hits / len(rounds) - 0.25) < 0.03  # ~5 sigma
    other = [plants(keccak(b"another key"), r, 0.25) for r in rounds]
    assert other != [plants(SECRET, r, 0.25) for r in rounds]  # the draw is the key's, not the round's
