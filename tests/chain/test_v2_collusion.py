"""The collusion v1 lost to, on LedgerV2 (PROTOCOL.md v2 §10): a cheater whose committee holds 2 colluders that
approve and 1 honest member. The honest member's challenge goes to a jury of honest seats; the claim is Rejected;
the worker and both colluders are slashed, the honest member is paid from their bonds, and the fake never
reaches a head.

Real anvil, real torch, the verifier/ functions the node's roles call (verify_claim, plan_challenge,
judge_segments); artifacts are served from the worker's store in-process (no network is involved). The registry
holds exactly three seats when the claim is submitted, so its committee is those three; the jurors' seats are
registered after the submit block (outside the committee's population) and before the dispute opens (inside
the jury's).
"""
from __future__ import annotations

import os

import pytest

from node.chain.devaccounts import dev_account
from node.chain.v2 import rules
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import ClaimStatus, CreditReason, ProposalStatus, Role, SlashReason
from node.roles.cheats import prove_without_training
from prover.checkpoint import checkpoint_id
from prover.jobkey import job_key
from prover.presets import digits_spec
from prover.state import genesis
from prover.store import DirStore
from verifier.challenge import plan_challenge
from verifier.claim import Claim
from verifier.jury import judge_segments, verdict_mask
from verifier.verify import verify_claim

ETH = 10**18
SEAT = ETH // 2
TERMS = JobTermsV2(committee_size=3, quorum=2, jury_size=3, samples_per_member=2, submit_window=40,
                   verify_window=10, challenge_window=10, commit_window=6, reveal_window=6, head_window=4)
# Five seats outside the dispute for a jury of three: the draw (28 tries with replacement over 8 seats) fills it
# all but never; with exactly three, a run in ~50 left one out and seated a jury of two.
OWNER, WORKER, COLLUDERS, HONEST, CANDIDATES = 0, 1, (2, 3), 4, (5, 6, 7, 8, 9)


def mine(w3, blocks: int) -> None:
    if blocks > 0:
        w3.provider.make_request("anvil_mine", [hex(blocks)])


def mine_to(w3, block: int) -> None:
    """Until the next transaction lands in block `block` (anvil prepares calls at the head's number)."""
    mine(w3, block - w3.eth.block_number)


@pytest.fixture(scope="module")
def played(w3, tmp_path_factory):
    spec = digits_spec()
    ledger, _ = deploy_ledger_v2(w3, dev_account(OWNER), unbonding_delay_blocks=5, seat_stake_wei=SEAT)
    head_tensors = genesis(spec)
    head = checkpoint_id(head_tensors)
    ledger.send(dev_account(OWNER), "createJob", TERMS.params(spec.spec_hash(), head, spec.checkpoint_every).as_tuple(),
                value=10 * ETH)
    job_id = 1
    for i in (*COLLUDERS, HONEST):
        ledger.send(dev_account(i), "stake", int(Role.VERIFIER), value=SEAT + ETH // 10)
    worker = dev_account(WORKER)
    ledger.send(worker, "stake", int(Role.WORKER), value=TERMS.claim_bond)

    # The cheater's claim: no training at all, every commitment consistent.
    key = job_key(w3.eth.chain_id, ledger.address, job_id)
    store = DirStore(tmp_path_factory.mktemp("cheater-store"))
    proof = prove_without_training(spec, head_tensors, 0, worker.address, store, job_key=key)
    served = {proof.transcript.root: proof.transcript.to_bytes()}

    def fetch(artifact_id: bytes, max_bytes: int | None = None) -> bytes:
        if artifact_id in served:
            return served[artifact_id]
        from verifier.errors import ArtifactUnavailable

        path = store.file_for(artifact_id)
        if not path.is_file():
            raise ArtifactUnavailable(artifact_id, "not stored")
        return path.read_bytes()

    receipt = ledger.send(worker, "submitClaim", job_id, 0, head, proof.result_id, proof.transcript.root,
                          spec.steps_per_claim, "http://127.0.0.1:9")
    claim_id = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["ClaimSubmitted"])[0]["args"]["claimId"]
    for i in CANDIDATES:  # seats registered after the claim: not on its committee, eligible for its jury
        ledger.send(dev_account(i), "stake", int(Role.VERIFIER), value=SEAT + ETH // 10)
    c = ledger.claim(claim_id)
    mine_to(w3, c.seed_block + 1)
    members = {ledger.seat(i).account for i in ledger.committee(claim_id)}
    assert members == {dev_account(i).address for i in (*COLLUDERS, HONEST)}, "the committee is the three seats"

    for i in COLLUDERS:  # they approve without replaying anything
        ledger.send(dev_account(i), "approve", claim_id)
    subject = Claim(claim_id=claim_id, worker=worker.address, round=0, base=head, result=proof.result_id,
                    transcript_root=proof.transcript.root, steps=spec.steps_per_claim, job_key=key)
    seed = rules.claim_seed(ledger, c)
    honest = dev_account(HONEST)
    verdict = verify_claim(spec, subject, head, seed, honest.address, fetch, samples=TERMS.samples_per_member)
    assert verdict.decision == "reject", verdict
    plan = plan_challenge(spec, subject, head, seed, honest.address, fetch, [dev_account(i).address for i in COLLUDERS],
                          TERMS.samples_per_member, c.segments)
    ledger.send(honest, "challenge", claim_id, list(plan.segments), list(plan.approvers), list(plan.draw_indices))
    dispute_id = ledger.claim(claim_id).dispute_id

    d = ledger.dispute(dispute_id)
    mine_to(w3, d.jury_seed_block + 1)
    jury = {ledger.seat(i).account for i in ledger.jury(dispute_id)}
    jurors = [i for i in CANDIDATES if dev_account(i).address in jury]
    assert jury == {dev_account(i).address for i in jurors}, "no party sits on the jury"
    assert len(jurors) == TERMS.jury_size, jury
    secrets = {}
    for i in jurors:
        juror = dev_account(i)
        mask = verdict_mask(judge_segments(spec, subject, head, seed, juror.address, fetch, list(d.segments)))
        salt = os.urandom(32)
        secrets[i] = (mask, salt)
        ledger.send(juror, "commitVerdict", dispute_id, rules.commitment(mask, salt, juror.address))
    mine_to(w3, d.commit_deadline + 1)
    for i, (mask, salt) in secrets.items():
        ledger.send(dev_account(i), "revealVerdict", dispute_id, mask, salt)
    mine_to(w3, ledger.dispute(dispute_id).reveal_deadline + 1)
    ledger.send(dev_account(OWNER), "resolveDispute", dispute_id)

    # The round closes: the head is the mean of the accepted results, of which there are none.
    mine_to(w3, ledger.job(job_id).round_start + TERMS.submit_window)
    ledger.send(dev_account(HONEST), "stake", int(Role.VERIFIER), value=TERMS.head_bond)
    acc = ledger.job(job_id).accumulator
    ledger.send(honest, "proposeHead", job_id, 0, head, acc)
    proposal = ledger.job(job_id).pending_proposal
    mine(w3, TERMS.head_window + 1)
    ledger.send(honest, "finalizeHead", proposal)
    return {"ledger": ledger, "claim_id": claim_id, "jurors": jurors, "dispute_id": dispute_id, "proof": proof, "plan": plan,
            "head": head, "proposal": proposal, "accumulator": acc, "events": ledger.events(0)}


def by_name(played, name: str) -> list[dict]:
    return [e["args"] for e in played["events"] if e["event"] == name]


def test_the_claim_is_rejected_and_the_worker_and_both_colluders_slashed(played):
    assert played["ledger"].claim(played["claim_id"]).status == ClaimStatus.REJECTED
    slashed = {(e["account"], e["reason"]) for e in by_name(played, "Slashed")}
    assert (dev_account(WORKER).address, SlashReason.CLAIM_BOND) in slashed
    for i in COLLUDERS:
        assert (dev_account(i).address, SlashReason.APPROVAL_BOND) in slashed, f"colluder {i} kept its bond"
    assert set(played["plan"].approvers) >= {dev_account(i).address for i in COLLUDERS}, \
        "the challenge held segments against both approvers"


def test_the_honest_member_and_the_jurors_are_paid_from_the_slashed_bonds(played):
    shares = {e["account"]: e["amount"] for e in by_name(played, "Credited") if e["reason"] == CreditReason.SLASH_SHARE}
    winners = [dev_account(i).address for i in (HONEST, *played["jurors"])]
    assert set(shares) == set(winners)
    pot = TERMS.claim_bond + 2 * TERMS.approval_bond
    assert sum(shares.values()) == rules.split(pot, len(winners))[0] * len(winners)
    assert not [e for e in by_name(played, "Slashed") if e["account"] in winners]


def test_the_fake_never_reaches_a_head(played):
    ledger = played["ledger"]
    assert ledger.proposal(played["proposal"]).status == ProposalStatus.ACCEPTED
    assert not [e for e in by_name(played, "ClaimFinalized") if e["status"] == ClaimStatus.ACCEPTED]
    assert played["accumulator"] == b"\0" * 32, "no claim was folded into the round's accepted set"
    (advanced,) = by_name(played, "HeadAdvanced")
    assert advanced["head"] == played["head"], "the next head is the old one: nothing was accepted"
