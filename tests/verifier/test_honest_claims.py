"""Honest claims are never rejected: 50 in exact mode, and tolerance-mode claims computed with another float
summation order (two micro-batches: the same gradient, rounded differently, as other hardware would)."""
from __future__ import annotations

import pytest
from eth_utils import keccak

from prover.checkpoint import Tensors, checkpoint_id
from prover.claim import prove_claim
from verifier.verify import verify_claim
from verifier_helpers import EXACT, TOLERANCE, address, genesis, microbatch_segment, package, trajectory
from job_keys import JOB_KEY

N_EXACT = 50


class DictStore:
    """The prover's CheckpointStore protocol, in memory."""

    def __init__(self):
        self.tensors: dict[bytes, Tensors] = {}

    def put(self, cid, tensors):
        self.tensors[cid] = tensors

    def get(self, cid):
        return self.tensors.get(cid)

    def __contains__(self, cid):
        return cid in self.tensors


def test_fifty_honest_exact_claims_are_approved(artifact_server):
    from prover.checkpoint import checkpoint_to_bytes
    from verifier.claim import Claim

    head = genesis(EXACT)
    head_id = checkpoint_id(head)
    verdicts = []
    for i in range(N_EXACT):
        worker = address(100 + i)
        store = DictStore()
        proof = prove_claim(EXACT, head, 0, worker, store, keep_every=1, job_key=JOB_KEY)  # the real prover
        t = proof.transcript
        claim = Claim(claim_id=i, worker=worker, round=0, base=t.base, result=proof.result_id,
                      transcript_root=t.root, steps=t.steps, job_key=JOB_KEY)
        artifacts = {t.root: t.to_bytes(), **{cid: checkpoint_to_bytes(x) for cid, x in store.tensors.items()}}
        artifact_server.publish(f"h{i}", artifacts)
        with artifact_server.fetcher(f"h{i}") as fetch:
            v = verify_claim(EXACT, claim, head_id, keccak(b"seed %d" % i), address(i, 0xB), fetch)
        verdicts.append(v)
    rejected = [(i, v.reason) for i, v in enumerate(verdicts) if v.decision != "approve"]
    assert not rejected
    assert sum(len(v.reason["draws"]) for v in verdicts) == N_EXACT * EXACT.samples_per_verifier
    assert all(v.reason["segments"] == sorted(set(v.reason["draws"])) for v in verdicts)


@pytest.mark.parametrize("i", range(5))
def test_honest_tolerance_claims_with_reordering_noise_are_approved(artifact_server, i):
    head = genesis(TOLERANCE)
    worker = address(200 + i)
    boundaries, losses = trajectory(TOLERANCE, head, 0, worker, microbatch_segment)
    pkg = package(TOLERANCE, 0, worker, boundaries, losses)
    exact_replay = package(TOLERANCE, 0, worker, *trajectory(TOLERANCE, head, 0, worker))
    assert pkg.claim.result != exact_replay.claim.result  # the noise is real: not bit-identical
    artifact_server.publish(f"t{i}", pkg.artifacts)
    with artifact_server.fetcher(f"t{i}") as fetch:
        v = verify_claim(TOLERANCE, pkg.claim, checkpoint_id(head), keccak(b"tol %d" % i), address(i, 0xB), fetch)
    assert v.decision == "approve", v.reason
    assert 0 < v.reason["max_distance"] < TOLERANCE.delta / 10
    assert abs(v.reason["min_update_ratio"] - 1) < 1e-3
