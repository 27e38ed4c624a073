"""node/chain/v2/gas_receipts.py on a real anvil: a scripted round (stakes, a job, 2 claims, approvals direct and
relayed, one finalizeClaims, a head proposed and finalized), whose per-function totals must equal the sums of the
receipts this test collected itself, and whose per-claim figure is the job's settlement gas over 2."""
from __future__ import annotations

from collections import defaultdict

import pytest
from eth_utils import keccak

from node.chain.devaccounts import dev_account
from node.chain.v2 import approvals
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.gas_receipts import SETTLEMENT, gas_per_accepted_claim
from node.chain.v2.views import JobParams, Role

ETH = 10**18
GENESIS = keccak(b"genesis")
URI = "http://127.0.0.1:9/artifacts/"
PARAMS = JobParams(
    spec_hash=keccak(b"spec"), genesis_head=GENESIS, reward_per_claim=ETH, approval_fee=ETH // 10,
    committee_size=3, quorum=2, jury_size=3, samples_per_member=2, checkpoint_every=10, claim_bond=ETH,
    approval_bond=ETH // 2, submit_window=20, verify_window=10, challenge_window=4, challenge_bond=ETH // 2,
    juror_bond=ETH // 5, commit_window=5, reveal_window=5, head_window=3, max_claims_per_round=8,
    head_bond=ETH, expiry_penalty=ETH // 10, max_redraws=1, miss_penalty=ETH // 20)


def mine(w3, blocks: int) -> None:
    w3.provider.make_request("anvil_mine", [hex(blocks)])


@pytest.fixture(scope="module")
def round_played(w3):
    """Plays the round; returns (ledger, start block, {function: [gasUsed, ...]}, claim ids)."""
    owner, relayer = dev_account(0), dev_account(9)
    workers = [dev_account(1), dev_account(2)]
    verifiers = [dev_account(i) for i in range(3, 8)]
    ledger, _ = deploy_ledger_v2(w3, owner, unbonding_delay_blocks=5, seat_stake_wei=ETH)
    start = w3.eth.block_number + 1
    paid: dict[str, list[int]] = defaultdict(list)

    def send(account, function, *args, value=0):
        receipt = ledger.send(account, function, *args, value=value)
        paid[function].append(receipt["gasUsed"])
        return receipt

    send(owner, "createJob", PARAMS.as_tuple(), value=20 * ETH)
    for w in workers:
        send(w, "stake", int(Role.WORKER), value=3 * ETH)
    for v in verifiers + [relayer]:
        send(v, "stake", int(Role.VERIFIER), value=3 * ETH)
    mine(w3, 1)
    ids = []
    for i, w in enumerate(workers):
        receipt = send(w, "submitClaim", 1, 0, GENESIS, keccak(b"result %d" % i), keccak(b"root %d" % i), 100, URI)
        (event,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["ClaimSubmitted"])
        ids.append(event["args"]["claimId"])
    mine(w3, 3)
    by_address = {a.address: a for a in verifiers + [relayer]}
    seats = ledger.seats()
    members = {c: [by_address[seats[s].account] for s in ledger.committee(c)] for c in ids}
    # The first claim: its members approve directly; the second: all three relayed in one approveBatch.
    for m in members[ids[0]]:
        send(m, "approve", ids[0])
    sigs = [approvals.sign_claim_approval(ledger, m, ids[1]) for m in members[ids[1]]]
    send(relayer, "approveBatch", [ids[1]] * len(sigs), sigs)
    claim = ledger.claim(ids[1])
    mine(w3, claim.challenge_deadline - w3.eth.block_number + 1)
    send(relayer, "finalizeClaims", ids)
    job = ledger.job(1)
    mine(w3, max(0, job.round_start + PARAMS.submit_window - w3.eth.block_number))
    receipt = send(relayer, "proposeHead", 1, 0, keccak(b"mean"), job.accumulator)
    (proposed,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["HeadProposed"])
    mine(w3, PARAMS.head_window + 1)
    send(relayer, "finalizeHead", proposed["args"]["proposalId"])
    assert ledger.job(1).round == 1
    return ledger, start, dict(paid), ids


def test_per_function_totals_are_the_receipts_sums(round_played):
    ledger, start, paid, _ = round_played
    report = gas_per_accepted_claim(ledger, start, 1)
    assert {f: r["gas_used"] for f, r in report["functions"].items()} == {f: sum(g) for f, g in paid.items()}
    assert {f: r["txs"] for f, r in report["functions"].items()} == {f: len(g) for f, g in paid.items()}
    assert all(r["reverted"] == 0 for r in report["functions"].values())
    assert report["groups"]["stakes"] == sum(paid["stake"])
    assert report["groups"]["jobs"] == sum(paid["createJob"])


def test_per_claim_figure_is_settlement_over_accepted(round_played):
    ledger, start, paid, _ = round_played
    report = gas_per_accepted_claim(ledger, start, 1)
    settlement = sum(sum(g) for f, g in paid.items() if f in SETTLEMENT)
    assert report["accepted_claims"] == 2
    assert report["settlement_gas"] == settlement == report["groups"]["settlement"]
    assert report["gas_per_accepted_claim"] == settlement / 2
    # Stakes and job creation are not part of the settlement figure.
    assert "stake" not in report["job_settlement"] and "createJob" not in report["job_settlement"]


def test_another_job_gets_none_of_this_jobs_settlement(round_played):
    ledger, start, _, _ = round_played
    report = gas_per_accepted_claim(ledger, start, 2)
    assert report["accepted_claims"] == 0 and report["settlement_gas"] == 0
    assert report["gas_per_accepted_claim"] is None


def test_a_block_range_past_the_head_is_refused_naming_it(round_played):
    ledger = round_played[0]
    head = ledger.w3.eth.block_number
    with pytest.raises(ValueError, match="from_block"):
        gas_per_accepted_claim(ledger, head + 5, 1)
    with pytest.raises(ValueError, match="to_block"):
        gas_per_accepted_claim(ledger, 0, 1, to_block=head + 5)
