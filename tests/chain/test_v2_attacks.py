"""Two attacks on v1's settlement, replayed against LedgerV2 on a real anvil (PROTOCOL.md v2 §10).

Sybil vote slots: in v1 the first `maxVotes` stakes to vote on a claim decided it, so an attacker with many
cheap stakes took every slot by voting first. In v2 only the committee drawn from the seat registry by the
claim's seed may approve, one slot per drawn seat: twelve Sybil seats racing to approve get exactly the slots
the draw gave them, and the Python mirror names those slots before anyone sends a transaction.

One stake behind many claims: in v1 a stake was checked, not locked, so one stake backed any number of open
frauds. In v2 each open claim locks its bond: a second claim the stake cannot bond is refused, by name.
"""
from __future__ import annotations

import pytest
from eth_utils import keccak

from node.chain.devaccounts import dev_account
from node.chain.errors import ContractRevert
from node.chain.v2 import rules
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.views import JobParams, LedgerV2, Role

ETH = 10**18
SEAT = ETH // 2
GENESIS = keccak(b"genesis")
URI = "http://127.0.0.1:9/artifacts/"
PARAMS = JobParams(
    spec_hash=keccak(b"spec"), genesis_head=GENESIS, reward_per_claim=ETH // 10, approval_fee=ETH // 100,
    committee_size=3, quorum=2, jury_size=3, samples_per_member=2, checkpoint_every=10, claim_bond=ETH // 2,
    approval_bond=ETH // 20, submit_window=50, verify_window=200, challenge_window=10, challenge_bond=ETH // 20,
    juror_bond=ETH // 50, commit_window=5, reveal_window=5, head_window=10, max_claims_per_round=16,
    head_bond=ETH // 10, expiry_penalty=ETH // 20, max_redraws=1, miss_penalty=ETH // 100)
OWNER, HONEST_VERIFIERS, WORKERS, SYBILS = 0, (1, 2, 3), (4, 5, 6, 7), tuple(range(8, 20))


def mine(w3, blocks: int) -> None:
    w3.provider.make_request("anvil_mine", [hex(blocks)])


@pytest.fixture(scope="module")
def ledger(w3) -> LedgerV2:
    deployed, _ = deploy_ledger_v2(w3, dev_account(OWNER), unbonding_delay_blocks=5, seat_stake_wei=SEAT)
    for job in (1, 2):
        deployed.send(dev_account(OWNER), "createJob", PARAMS.as_tuple(), value=10 * ETH)
    for i in HONEST_VERIFIERS + SYBILS:
        deployed.send(dev_account(i), "stake", int(Role.VERIFIER), value=SEAT)
    return deployed


def test_sybil_seats_take_only_the_committee_slots_drawn_for_them(w3, ledger):
    claims = []
    for i in WORKERS:
        ledger.send(dev_account(i), "stake", int(Role.WORKER), value=PARAMS.claim_bond)
        receipt = ledger.send(dev_account(i), "submitClaim", 1, 0, GENESIS, keccak(b"r%d" % i), keccak(b"t%d" % i),
                              100, URI)
        claims.append(ledger.events(receipt["blockNumber"], receipt["blockNumber"],
                                    names=["ClaimSubmitted"])[0]["args"]["claimId"])
    mine(w3, 3)  # past every claim's seed block
    sybils = {dev_account(i).address: dev_account(i) for i in SYBILS}
    for claim_id in claims:
        committee = rules.committee_from_chain(ledger, claim_id)  # named before anyone sends a thing
        assert list(ledger.committee(claim_id)) == committee
        members = {ledger.seat(i).account for i in committee}
        won = set()
        for address, account in sybils.items():  # every Sybil races to take a slot
            try:
                ledger.send(account, "approve", claim_id)
                won.add(address)
            except ContractRevert as exc:
                assert exc.name == "NotCommitteeMember", exc
                assert address not in members
        assert won == members & set(sybils), "a Sybil took exactly the slots the draw gave it, no more"
        assert ledger.claim(claim_id).approved_mask.bit_count() == len(won) <= PARAMS.committee_size


def test_one_stake_cannot_back_more_open_claims_than_its_bonds_cover(w3, ledger):
    worker = dev_account(WORKERS[0])  # staked exactly one claim bond, its claim of job 1 still open
    stake = ledger.stake(worker.address, Role.WORKER)
    assert stake.locked == PARAMS.claim_bond == stake.active
    with pytest.raises(ContractRevert) as refused:
        ledger.send(worker, "submitClaim", 2, 0, GENESIS, keccak(b"second"), keccak(b"second root"), 100, URI)
    assert refused.value.name == "InsufficientUnlockedStake", refused.value
    ledger.send(worker, "stake", int(Role.WORKER), value=PARAMS.claim_bond)  # a second bond: a second claim
    ledger.send(worker, "submitClaim", 2, 0, GENESIS, keccak(b"second"), keccak(b"second root"), 100, URI)
    assert ledger.stake(worker.address, Role.WORKER).locked == 2 * PARAMS.claim_bond
    # Nor may the bonded stake leave while its claims are open.
    with pytest.raises(ContractRevert) as unstake:
        ledger.send(worker, "requestUnstake", int(Role.WORKER), 1)
    assert unstake.value.name == "InsufficientUnlockedStake", unstake.value
