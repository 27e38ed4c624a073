"""A chain that goes back under real node processes (LedgerV2): anvil SIGKILLed and restarted from a state file behind.

The same two moments the reliability run found fatal: right after a head advanced (the lost blocks hold head
votes, the head's finalization and perhaps the next round's claims) and right after claims landed. The
network must roll back, resend what was lost, finish its rounds with every claim settled exactly once, and
pass the audit. Then a node pointed at a brand-new chain with its old database refuses, or resets on request.
"""
from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from node.chain.client import connect
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.devaccounts import dev_account
from node.config import Deployment, deployment_path
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import ClaimStatus
from prover.presets import digits_spec

from node_network import FIVE_NODES, Network, db_rows, five_node_network
from waiting import wait_for

# Real node processes racing chain windows: the slow part of the suite (-m "not network" leaves it out).
pytestmark = pytest.mark.network

# Short windows: no node restarts here, only the chain. 40 blocks of 0.25 s. Two seats: every committee is both.
TERMS = JobTermsV2(committee_size=2, quorum=2, submit_window=40, verify_window=30, challenge_window=6,
                   head_window=6)
ACCEPTED, REJECTED = ClaimStatus.ACCEPTED, ClaimStatus.REJECTED


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    network = five_node_network(tmp_path_factory.mktemp("reorg"), digits_spec(steps_per_claim=20), TERMS)
    yield network
    network.stop_all()


def claims_of_round(net: Network, round_: int) -> list:
    return [e for e in net.events("ClaimSubmitted") if e["args"]["round"] == round_]


def cursor(net: Network, name: str) -> int:
    rows = db_rows(net, name, "select value from meta where key = 'last_block'")
    return int(rows[0]["value"]) if rows else -1


def go_back(net: Network, saved, saved_block: int, seen_block: int) -> dict[str, int]:
    """Kill the chain and restart it from `saved`; returns each node's cursor just before the kill."""
    cursors = {name: cursor(net, name) for name in net.nodes}
    net.kill_chain_and_restart_from(saved)
    restarted = net.ledger.w3.eth.block_number
    assert restarted < seen_block, f"the chain came back at {restarted}, behind the {seen_block} nodes saw"
    assert restarted >= saved_block
    return {name: c for name, c in cursors.items() if c > restarted}  # the nodes that saw lost blocks


def test_network_recovers_when_the_chain_goes_back_after_a_head_advanced(net):
    wait_for(lambda: net.ledger.job(net.job_id).pending_proposal, 240, "a head proposal of round 0")
    saved = net.home / "state-before-head.json"
    saved_block = net.save_chain_state(saved)
    net.wait_round(1, timeout_s=120)  # the head advanced in blocks the saved state does not hold
    wait_for(lambda: len(claims_of_round(net, 1)) >= 1, 60, "a claim of round 1")
    seen_block = net.ledger.w3.eth.block_number
    ahead = go_back(net, saved, saved_block, seen_block)
    assert net.round() == 0, "the restored chain is back in round 0, its head not yet advanced"
    assert "aggregator" in ahead, "the aggregator had seen the head advance"

    net.wait_round(2, timeout_s=300)
    for name in ahead:  # every node that had processed blocks the chain lost rolled back
        wait_for(lambda: db_rows(net, name, "select * from work_log where event = 'reorg'"), 60,
                 f"{name} to roll back")


def test_network_recovers_when_the_chain_goes_back_after_claims_landed(net):
    before = net.round()
    wait_for(lambda: net.round() > before, 120, "the next round to start")
    saved = net.home / "state-before-claims.json"
    saved_block = net.save_chain_state(saved)  # as the round starts: its claims are not in the saved state
    round_ = net.round()
    wait_for(lambda: len(claims_of_round(net, round_)) == 2, 120, f"both claims of round {round_}")
    landed = {e["args"]["worker"] for e in claims_of_round(net, round_)}
    time.sleep(1.5)  # past the next state dump, as in the reliability run: the chain went back further
    go_back(net, saved, saved_block, net.ledger.w3.eth.block_number)
    assert len(claims_of_round(net, round_)) < 2, "the restored chain lost claims of the round"

    net.wait_round(round_ + 2, timeout_s=300)
    assert {e["args"]["worker"] for e in claims_of_round(net, round_)} == landed, "every lost claim landed again"
    recovered = [r for name in ("worker-1", "worker-2") for r in db_rows(
        net, name, "select * from work_log where event in ('outbox-resent', 'outbox-resigned', 'outbox-dropped')")]
    assert recovered, "the workers' outboxes dealt with their lost claims"


def test_every_claim_is_settled_exactly_once_and_nodes_agree_with_the_chain(net):
    current = net.round()
    submitted = net.events("ClaimSubmitted")
    finalized = net.events("ClaimFinalized")
    ids = [e["args"]["claimId"] for e in submitted]
    assert len(ids) == len(set(ids))
    by_worker_round = {(e["args"]["worker"], e["args"]["round"]) for e in submitted}
    assert len(by_worker_round) == len(submitted), "one claim per worker and round"
    settled = [e["args"]["claimId"] for e in finalized]
    assert len(settled) == len(set(settled)), "no claim finalized twice"
    for e in submitted:
        if e["args"]["round"] < current:
            assert e["args"]["claimId"] in settled, f"claim {e['args']['claimId']} never settled"
    statuses = {f["args"]["claimId"]: f["args"]["status"] for f in finalized}
    assert REJECTED not in statuses.values(), "no honest claim is rejected, rewinds or not"
    # A claim whose votes were lost may expire if its window closes while nodes recover (its verifiers replay
    # again under the new seed); once the network has caught up, every claim is accepted again.
    last_round = [e["args"]["claimId"] for e in submitted if e["args"]["round"] == current - 1]
    assert last_round and all(statuses.get(c) == ACCEPTED for c in last_round), statuses

    chain_claims = {e["args"]["claimId"]: "0x" + e["args"]["result"].hex() for e in submitted}
    for name, _, _ in FIVE_NODES:
        cursor = int(db_rows(net, name, "select value from meta where key = 'last_block'")[0]["value"])
        local = {r["claim_id"]: r["result"] for r in db_rows(net, name, "select claim_id, result from claims")}
        expected = {e["args"]["claimId"]: chain_claims[e["args"]["claimId"]] for e in submitted
                    if e["blockNumber"] <= cursor}
        assert local == expected, f"{name}'s claims differ from the chain's"

    # The audit rebuilds everything from the chain and the workers' artifacts, and must pass.
    audit = subprocess.run([sys.executable, "-m", "node.cli", "audit", "--home", str(net.home),
                            "--db", str(net.home / "audit.db")], capture_output=True, text=True, timeout=300)
    assert audit.returncode == 0, audit.stdout[-3000:] + audit.stderr[-3000:]


def test_a_node_with_an_old_database_refuses_a_fresh_chain_then_resets_on_request(net):
    net.stop_nodes()
    net.anvil.stop()
    net.anvil.state_path.unlink()
    net.anvil.start()  # a brand-new chain on the same port: the ledger lands at the same address again
    w3 = connect(net.anvil.url)
    ledger, receipt = deploy_ledger_v2(w3, dev_account(0), unbonding_delay_blocks=10, seat_stake_wei=10**18 // 2)
    assert ledger.address == net.ledger.address
    Deployment(chain_id=w3.eth.chain_id, address=ledger.address, block=receipt["blockNumber"],
               rpc_url=net.anvil.url, ledger_version=2).save(deployment_path(net.home))

    node = net.start("aggregator")
    assert node.process.wait(120) == 1
    output = (net.home / f"aggregator.{node.runs}.log").read_text()
    assert "belongs to another chain" in output and "--reset-state" in output
    assert "Traceback" not in output

    node = net.start("aggregator", extra_args=("--reset-state",))
    wait_for(lambda: _serves(node.url), 120, "the reset aggregator to serve /status")
    assert list((net.data_dir("aggregator")).glob("node.db.*.old")), "the old database was moved aside"
    net.stop("aggregator")


def _serves(url: str) -> bool:
    try:
        return httpx.get(f"{url}/status", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
