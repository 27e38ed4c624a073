"""LedgerV2 on a real anvil through node/chain/v2: deploy (four transactions), a job, stakes and seats, a claim,
its committee recomputed in Python, EIP-712 approvals relayed in one approveBatch, finalize, credits as
rules.py predicts, withdraw, and reverts decoded to the contract's named errors."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from eth_utils import keccak

from node.chain.devaccounts import dev_account
from node.chain.errors import ContractRevert
from node.chain.v2 import approvals, rules
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.views import ClaimStatus, CreditReason, JobParams, LedgerV2, Role, snake, struct_components

ETH = 10**18
GENESIS = keccak(b"genesis")
RESULT = keccak(b"result")
ROOT = keccak(b"transcript")
URI = "http://127.0.0.1:9/artifacts/"
VECTOR = Path(__file__).resolve().parents[2] / "contracts" / "test" / "vectors" / "approval_v2.json"

PARAMS = JobParams(
    spec_hash=keccak(b"spec"), genesis_head=GENESIS, reward_per_claim=ETH, approval_fee=ETH // 10,
    committee_size=3, quorum=2, jury_size=3, samples_per_member=2, checkpoint_every=10, claim_bond=ETH,
    approval_bond=ETH // 2, submit_window=20, verify_window=10, challenge_window=10, challenge_bond=ETH // 2,
    juror_bond=ETH // 5, commit_window=5, reveal_window=5, head_window=10, max_claims_per_round=8,
    head_bond=ETH, expiry_penalty=ETH // 10, max_redraws=1, miss_penalty=ETH // 20)


@pytest.fixture(scope="module")
def accounts():
    return {"owner": dev_account(0), "worker": dev_account(1), "verifiers": [dev_account(i) for i in range(2, 7)],
            "relayer": dev_account(7)}


@pytest.fixture(scope="module")
def ledger(w3, accounts) -> LedgerV2:
    deployed, receipt = deploy_ledger_v2(w3, accounts["owner"], unbonding_delay_blocks=5, seat_stake_wei=ETH)
    assert receipt["status"] == 1
    return deployed


def mine(w3, blocks: int) -> None:
    w3.provider.make_request("anvil_mine", [hex(blocks)])


def held_equals_books(w3, ledger: LedgerV2) -> bool:
    books = ledger.call("totalEscrow") + ledger.call("totalCredits") + ledger.call("totalStakes")
    return w3.eth.get_balance(ledger.address) == books


def test_job_params_field_order_is_the_abis(ledger):
    components = struct_components(ledger.artifact.abi, "JobParams")
    assert [snake(c["name"]) for c in components] == [f.name for f in dataclasses.fields(JobParams)]


def test_claim_lifecycle(w3, ledger, accounts):
    owner, worker, verifiers, relayer = (accounts[k] for k in ("owner", "worker", "verifiers", "relayer"))
    # Deployed as the approval vector assumes: the fourth contract of anvil's account 0 on a fresh chain.
    assert ledger.address == json.loads(VECTOR.read_text())["typedData"]["domain"]["verifyingContract"]
    assert approvals.domain_of(ledger) == approvals.Domain("gradchain", "2", w3.eth.chain_id, ledger.address)

    ledger.send(owner, "createJob", PARAMS.as_tuple(), value=20 * ETH)
    job_id = 1
    assert ledger.job_params(job_id) == PARAMS
    job = ledger.job(job_id)
    assert (job.owner, job.escrow, job.round, job.head) == (owner.address, 20 * ETH, 0, GENESIS)

    ledger.send(worker, "stake", int(Role.WORKER), value=5 * ETH)
    for v in verifiers:
        ledger.send(v, "stake", int(Role.VERIFIER), value=3 * ETH)
    seats = ledger.seats()
    assert [s.account for s in seats] == [v.address for v in verifiers]
    assert all(s.retired_at == 0 for s in seats)
    assert ledger.stake(verifiers[0].address, Role.VERIFIER).seat_plus_one == 1
    mine(w3, 1)

    receipt = ledger.send(worker, "submitClaim", job_id, 0, GENESIS, RESULT, ROOT, 100, URI)
    (submitted,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["ClaimSubmitted"])
    claim_id = submitted["args"]["claimId"]
    claim = ledger.claim(claim_id)
    assert claim.status is ClaimStatus.PENDING and claim.worker == worker.address
    assert claim.seed_block == rules.seed_block(receipt["blockNumber"]) and claim.segments == 10
    assert claim.transcript_root == ROOT and claim.seat_count == len(verifiers)
    assert ledger.job(job_id).reserved == rules.reservation(PARAMS.reward_per_claim, PARAMS.approval_fee, 3)
    assert ledger.stake(worker.address, Role.WORKER).locked == PARAMS.claim_bond

    # Before the seed exists: no committee, and votes are refused.
    with pytest.raises(ContractRevert) as early:
        ledger.call("committeeOf", claim_id)
    assert early.value.name == "SeedUnavailable"

    mine(w3, 3)
    committee = ledger.committee(claim_id)
    assert list(committee) == rules.committee_from_chain(ledger, claim_id)
    assert len(committee) == 3
    by_address = {v.address: v for v in verifiers}
    members = [by_address[seats[i].account] for i in committee]
    outsiders = [v for v in verifiers if v not in members]

    # A non-member approving is refused with the named error, arguments decoded.
    with pytest.raises(ContractRevert) as refused:
        ledger.send(outsiders[0], "approve", claim_id)
    assert refused.value.name == "NotCommitteeMember"
    assert refused.value.args_by_name == {"claimId": claim_id, "account": outsiders[0].address.lower()}
    # A signature by a non-member, relayed, is refused the same way.
    with pytest.raises(ContractRevert) as relayed_outsider:
        ledger.send(relayer, "approveBySig", claim_id, approvals.sign_claim_approval(ledger, outsiders[1], claim_id))
    assert relayed_outsider.value.name == "NotCommitteeMember"

    # The digest signed in Python is the contract's.
    seed = rules.claim_seed(ledger, claim)
    assert approvals.approval_digest(approvals.domain_of(ledger), claim_id, ROOT, seed) == bytes(
        ledger.call("approvalDigest", claim_id))

    signatures = [approvals.sign_claim_approval(ledger, m, claim_id) for m in members]
    receipt = ledger.send(relayer, "approveBatch", [claim_id] * len(members), signatures)
    approved = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["Approved"])
    assert [e["args"]["member"] for e in approved] == [m.address for m in members]
    assert ledger.claim(claim_id).approved_mask == 0b111
    assert all(ledger.stake(m.address, Role.VERIFIER).locked == PARAMS.approval_bond for m in members)
    with pytest.raises(ContractRevert) as again:
        ledger.send(members[0], "approve", claim_id)
    assert again.value.name == "AlreadyApproved"

    with pytest.raises(ContractRevert) as too_soon:
        ledger.send(relayer, "finalizeClaim", claim_id)
    assert too_soon.value.name == "WindowOpen"
    head = w3.eth.block_number
    end = claim.seed_block + PARAMS.verify_window + PARAMS.challenge_window
    mine(w3, end - head + 1)  # anvil estimates (and so prepares) at the head block's number
    assert not rules.finalize_allowed(end, claim.seed_block, PARAMS.verify_window, PARAMS.challenge_window)
    assert rules.finalize_allowed(w3.eth.block_number, claim.seed_block, PARAMS.verify_window,
                                  PARAMS.challenge_window)

    predicted = rules.finalize_settlement(
        worker=worker.address, members=[m.address for m in members], approved_mask=0b111, disputed=False,
        reward_per_claim=PARAMS.reward_per_claim, approval_fee=PARAMS.approval_fee, quorum=PARAMS.quorum)
    receipt = ledger.send(relayer, "finalizeClaim", claim_id)
    assert ledger.claim(claim_id).status == ClaimStatus(predicted.status) == ClaimStatus.ACCEPTED
    credited = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["Credited"])
    assert {e["args"]["account"]: e["args"]["amount"] for e in credited} == predicted.credits
    assert CreditReason(credited[0]["args"]["reason"]) is CreditReason.REWARD
    for account, amount in predicted.credits.items():
        assert ledger.credit(account) == amount
    assert ledger.credit(outsiders[0].address) == 0 and not predicted.misses
    assert ledger.stake(worker.address, Role.WORKER).locked == 0
    assert all(ledger.stake(m.address, Role.VERIFIER).locked == 0 for m in members)
    assert ledger.call("accumulatorOf", job_id, 0) == rules.accumulate(b"\0" * 32, claim_id, RESULT)
    assert held_equals_books(w3, ledger)

    with pytest.raises(ContractRevert) as twice:
        ledger.send(relayer, "finalizeClaim", claim_id)
    assert twice.value.name == "ClaimNotPending"

    before = w3.eth.get_balance(worker.address)
    receipt = ledger.send(worker, "withdraw")
    gas_cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(worker.address) == before + predicted.credits[worker.address] - gas_cost
    assert ledger.credit(worker.address) == 0
    with pytest.raises(ContractRevert) as nothing:
        ledger.send(worker, "withdraw")
    assert nothing.value.name == "NothingToWithdraw"
    assert held_equals_books(w3, ledger)


def test_a_full_round_closes_its_submissions_early_as_the_mirror_says(w3, ledger, accounts):
    """proposeHead before the submission window ends: refused while the round may take claims, allowed once it
    holds maxClaimsPerRound of them and they are final; rules.submissions_closed agrees at each step."""
    owner, worker, proposer = accounts["owner"], accounts["worker"], accounts["verifiers"][0]
    params = dataclasses.replace(PARAMS, submit_window=200, max_claims_per_round=1)
    receipt = ledger.send(owner, "createJob", params.as_tuple(), value=20 * ETH)
    (created,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["JobCreated"])
    job_id = created["args"]["jobId"]

    def closed() -> bool:
        job = ledger.job(job_id)
        return rules.submissions_closed(w3.eth.block_number, job.round_start, params.submit_window,
                                        job.round_claims, params.max_claims_per_round)

    assert not closed()
    with pytest.raises(ContractRevert) as open_window:
        ledger.send(proposer, "proposeHead", job_id, 0, GENESIS, b"\0" * 32)
    assert open_window.value.name == "SubmitWindowOpen"
    if ledger.stake(worker.address, Role.WORKER).active == 0:
        ledger.send(worker, "stake", int(Role.WORKER), value=5 * ETH)
    receipt = ledger.send(worker, "submitClaim", job_id, 0, GENESIS, RESULT, ROOT, 100, URI)
    (submitted,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["ClaimSubmitted"])
    assert closed(), "a full round takes no more claims"
    with pytest.raises(ContractRevert) as unsettled:
        ledger.send(proposer, "proposeHead", job_id, 0, GENESIS, b"\0" * 32)
    assert unsettled.value.name == "RoundNotSettled"
    claim = ledger.claim(submitted["args"]["claimId"])
    mine(w3, claim.seed_block + params.verify_window + params.challenge_window - w3.eth.block_number + 1)
    ledger.send(owner, "finalizeClaim", submitted["args"]["claimId"])  # nobody approved: Expired, the head stays
    assert w3.eth.block_number < ledger.job(job_id).round_start + params.submit_window
    ledger.send(proposer, "proposeHead", job_id, 0, GENESIS, b"\0" * 32)
    assert ledger.job(job_id).pending_proposal != 0
