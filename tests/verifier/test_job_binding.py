"""The same training cannot be paid twice: two real jobs with one spec on anvil, one transcript submitted to both.

A worker trains round 0 of job A (its batches and header bound to A's job key) and submits the claim to job A
and, unchanged, to job B: same spec, same round, same worker, same head. The verifier, taking the job key
from the chain as a node does (chain id, ledger, the claim's job), approves it in A and rejects it in B. A
worker who rewrites the header to B's key, keeping A's training, is rejected by replay.
"""
from __future__ import annotations

import pytest

from node.chain.devaccounts import dev_account
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import Role
from node.jobs import create_job
from prover.checkpoint import checkpoint_to_bytes
from prover.claim import prove_claim
from prover.jobkey import job_key
from prover.presets import digits_spec
from prover.state import genesis
from prover.store import MemoryStore
from prover.transcript import Transcript
from verifier.claim import Claim
from verifier.verify import verify_claim

SPEC = digits_spec(steps_per_claim=8, checkpoint_every=2, samples_per_verifier=2)
TERMS = JobTermsV2(committee_size=1, quorum=1, submit_window=100, verify_window=50)
WORKER, VERIFIER = dev_account(1), dev_account(2)
URI = "http://127.0.0.1:9"  # the artifacts are served from memory below; the URI only has to be well formed


@pytest.fixture(scope="module")
def two_jobs(w3, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    ledger, _ = deploy_ledger_v2(w3, dev_account(0), unbonding_delay_blocks=5, seat_stake_wei=10**18 // 2)
    a = create_job(ledger, dev_account(0), SPEC, TERMS, 10**18, home=home)["job_id"]
    b = create_job(ledger, dev_account(0), SPEC, TERMS, 10**18, home=home)["job_id"]
    assert a != b and ledger.job_params(a).spec_hash == ledger.job_params(b).spec_hash, "one spec, two jobs"
    ledger.send(WORKER, "stake", Role.WORKER, value=TERMS.claim_bond * 3)
    return ledger, a, b


def key_of(ledger, job_id: int) -> bytes:
    """What a node computes (node/roles/runtime.py): the chain's id, the ledger's address, the job's id."""
    return job_key(ledger.w3.eth.chain_id, ledger.address, job_id)


def submit(ledger, job_id: int, transcript: Transcript, result: bytes, worker=WORKER) -> Claim:
    """Submit to the chain and read the claim back from its event, as a verifier node does."""
    receipt = ledger.send(worker, "submitClaim", job_id, 0, transcript.base, result, transcript.root,
                          SPEC.steps_per_claim, URI)
    (event,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["ClaimSubmitted"])
    a = event["args"]
    return Claim(claim_id=a["claimId"], worker=a["worker"], round=a["round"], base=a["base"], result=a["result"],
                 transcript_root=a["transcriptRoot"], steps=a["steps"], job_key=key_of(ledger, a["jobId"]))


def verify(ledger, claim: Claim, artifacts: dict[bytes, bytes]):
    head = ledger.job(next(j for j in (1, 2) if key_of(ledger, j) == claim.job_key)).head  # round 0's, still open
    return verify_claim(SPEC, claim, head, b"\x05" * 32, VERIFIER.address, artifacts.__getitem__,
                        every_segment=True)


def trained_for(job: bytes, worker=WORKER):
    store = MemoryStore()
    proof = prove_claim(SPEC, genesis(SPEC), 0, worker.address, store, keep_every=1, job_key=job)
    artifacts = {proof.transcript.root: proof.transcript.to_bytes(),
                 **{cid: checkpoint_to_bytes(store.get(cid)) for cid in proof.transcript.boundary_ids()}}
    return proof, artifacts


def test_a_claim_trained_for_job_a_is_approved_in_a_and_rejected_in_b(two_jobs):
    ledger, a, b = two_jobs
    proof, artifacts = trained_for(key_of(ledger, a))
    in_a = submit(ledger, a, proof.transcript, proof.result_id)
    in_b = submit(ledger, b, proof.transcript, proof.result_id)  # the contract cannot tell: same spec, head

    assert verify(ledger, in_a, artifacts).decision == "approve"
    verdict = verify(ledger, in_b, artifacts)
    assert verdict.decision == "reject" and verdict.reason["check"] == "transcript_job_key", verdict.reason


def test_a_header_rewritten_to_job_b_is_rejected_by_replay(two_jobs):
    ledger, a, b = two_jobs
    worker = dev_account(3)
    ledger.send(worker, "stake", Role.WORKER, value=TERMS.claim_bond)
    # Trained on job A's batches, then the header claims job B: the structure holds, the data does not.
    proof, artifacts = trained_for(key_of(ledger, a), worker)
    forged = Transcript(job_key=key_of(ledger, b), spec_hash=proof.transcript.spec_hash, round=0,
                        worker=proof.transcript.worker, checkpoint_every=proof.transcript.checkpoint_every,
                        segments=proof.transcript.segments)
    artifacts[forged.root] = forged.to_bytes()
    claim = submit(ledger, b, forged, proof.result_id, worker)

    verdict = verify(ledger, claim, artifacts)
    assert verdict.decision == "reject" and verdict.reason["check"] == "replay_end", verdict.reason
