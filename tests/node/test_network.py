"""Real node processes on a real anvil (LedgerV2): rounds end to end, crashes at the worst moments, a chain restart.

Two workers, two verifiers (every committee is both of them) and an aggregator, each a `gradchain node run` process with its own key, port and
SQLite file; they share nothing but the chain and HTTP. The tests run in order on one network (module
scope), because standing one up costs most of the time.

The job runs on the wasm engine (issue 17: prover/wasm_engine.py, the step function a browser runs too): the
workers train with the module under wasmtime and the verifiers replay with it, with nothing else changed; every
other network test runs torch jobs.
"""
from __future__ import annotations

import json
import signal
import time

import httpx
import pytest

from node.chain.devaccounts import dev_account
from node.chain.v2 import approvals
from node.fetch import HttpFetcher
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import ClaimStatus
from prover.aggregate import mean_checkpoints
from prover.checkpoint import checkpoint_from_bytes, checkpoint_id
from prover.presets import digits_wasm_spec

from node_network import db_rows, five_node_network
from waiting import wait_for

# Real node processes racing chain windows: the slow part of the suite (-m "not network" leaves it out).
pytestmark = pytest.mark.network

ACCEPTED = ClaimStatus.ACCEPTED
# Windows are generous because a restarted node needs a few seconds on a loaded 2-core CI machine to come back
# before the round (or the claim's vote) closes: 60 blocks of 0.25 s.
TERMS = JobTermsV2(committee_size=2, quorum=2, submit_window=60, verify_window=80, challenge_window=6,
                   head_window=6)


# The crashes happen in the first round, so the rounds test after them shows they lost nothing.
CRASH_POINTS = {"worker-1": "outbox-signed:submitClaim", "verifier-1": "verifier-decided"}


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    network = five_node_network(tmp_path_factory.mktemp("network"), digits_wasm_spec(steps_per_claim=20), TERMS,
                                failpoints=CRASH_POINTS, relay=True)
    yield network
    network.stop_all()


@pytest.fixture(scope="module")
def crashed(net) -> dict[str, dict]:
    """Each crashing node's database as it died (read before anything restarted it), once both have died and
    been restarted without their crash points: a dead member would stall the other's claims."""
    seen: dict[str, dict] = {}
    deadline = time.monotonic() + 180
    while len(seen) < len(CRASH_POINTS):
        assert time.monotonic() < deadline, f"crash points never hit: only {sorted(seen)} died"
        for name in CRASH_POINTS:
            process = net.nodes[name].process
            if name not in seen and process.poll() is not None:
                seen[name] = {"returncode": process.returncode,
                              "outbox": db_rows(net, name, "select * from outbox"),
                              "verdicts": db_rows(net, name, "select * from verdicts where kind = 'claim'")}
                net.start(name)
        time.sleep(0.1)
    return seen


def test_worker_killed_between_signing_and_sending_lands_its_claim_once(net, crashed):
    assert crashed["worker-1"]["returncode"] == -signal.SIGKILL
    (signed,) = [r for r in crashed["worker-1"]["outbox"] if r["status"] == "signed"]
    round_ = int(signed["key"].split(":")[2])

    net.wait_round(round_ + 1, timeout_s=240)
    claims = [e for e in net.events("ClaimSubmitted")
              if e["args"]["worker"] == net.nodes["worker-1"].address and e["args"]["round"] == round_]
    assert len(claims) == 1, "the claim must land exactly once"
    assert claims[0]["transactionHash"].to_0x_hex() == signed["tx_hash"], "the same signed bytes, not a re-sign"
    (row,) = db_rows(net, "worker-1", "select * from outbox where key = ?", (signed["key"],))
    assert row["status"] == "mined" and row["nonce"] == signed["nonce"]


def test_verifier_killed_between_deciding_and_voting_votes_once(net, crashed):
    assert crashed["verifier-1"]["returncode"] == -signal.SIGKILL
    (decided,) = crashed["verifier-1"]["verdicts"]
    claim_id = decided["subject_id"]
    assert not [r for r in crashed["verifier-1"]["outbox"] if r["key"] == f"approve:{claim_id}"]

    wait_for(lambda: net.ledger.claim(claim_id).status != ClaimStatus.PENDING, 180, f"claim {claim_id} to be final")
    verifier = net.nodes["verifier-1"].address
    approvals = [e for e in net.events("Approved") if e["args"]["claimId"] == claim_id
                 and e["args"]["member"] == verifier]
    assert decided["decision"] == "approve" and len(approvals) == 1, "approved once, on the recorded verdict"
    assert net.ledger.claim(claim_id).status == ClaimStatus.ACCEPTED
    (after,) = db_rows(net, "verifier-1", "select * from verdicts where kind = 'claim' and subject_id = ?", (claim_id,))
    assert after["decided_at"] == decided["decided_at"], "the recorded verdict is used, not decided again"


def test_forged_and_malleated_relayed_approvals_are_refused_and_the_claim_still_settles(net):
    relay = f"{net.nodes['aggregator'].url}/relay/approvals"
    assert httpx.post(relay, json={"claim_id": 1, "signature": "0x1234"}).status_code == 422
    not_a_relay = httpx.post(f"{net.nodes['verifier-2'].url}/relay/approvals",
                             json={"claim_id": 1, "signature": "0x" + "00" * 65})
    assert not_a_relay.status_code == 404 and "aggregator" in not_a_relay.text

    def open_claim():
        for e in reversed(net.events("ClaimSubmitted")):
            c = net.ledger.claim(e["args"]["claimId"])
            if c.status == ClaimStatus.PENDING and net.ledger.w3.eth.block_number > c.seed_block + 1:
                return e["args"]["claimId"]
        return None

    claim_id = wait_for(open_claim, 120, "a claim open for votes")
    # The worker that did not make the claim signs an approval: well formed, but not a committee member's.
    forged = approvals.sign_claim_approval(net.ledger, dev_account(net.nodes["worker-2"].dev_index), claim_id)
    # A member's real signature, malleated (s -> n - s, v flipped): it still recovers, but the ledger refuses it.
    real = approvals.sign_claim_approval(net.ledger, dev_account(net.nodes["verifier-2"].dev_index), claim_id)
    high_s = (approvals.SECP256K1_N - int.from_bytes(real[32:64], "big")).to_bytes(32, "big")
    malleated = real[:32] + high_s + bytes([55 - real[64]])
    for signature in (forged, malleated):
        posted = httpx.post(relay, json={"claim_id": claim_id, "signature": "0x" + signature.hex()})
        assert posted.status_code == 202, posted.text

    def refusals():
        rows = db_rows(net, "aggregator", "select detail from work_log where event = 'relay-refused'")
        return [d["why"] for d in map(json.loads, (r["detail"] for r in rows)) if d["claim"] == claim_id]

    wait_for(lambda: len(refusals()) >= 2, 60, "the aggregator to check both")
    why = refusals()
    assert any("not a member of the claim's committee" in w for w in why), why
    assert any("malleated" in w for w in why), why
    wait_for(lambda: net.ledger.claim(claim_id).status != ClaimStatus.PENDING, 120, f"claim {claim_id} to be final")
    assert net.ledger.claim(claim_id).status == ClaimStatus.ACCEPTED, "junk in the relay sank no honest approval"


def test_two_rounds_end_to_end(net):
    net.wait_round(2, timeout_s=300)
    submitted = {e["args"]["claimId"]: e["args"] for e in net.events("ClaimSubmitted")}
    finalized = {e["args"]["claimId"]: e["args"]["status"] for e in net.events("ClaimFinalized")}
    workers = {net.nodes["worker-1"].address, net.nodes["worker-2"].address}
    for round_ in (0, 1):
        claims = sorted(c for c, a in submitted.items() if a["round"] == round_)
        assert {submitted[c]["worker"] for c in claims} == workers and len(claims) == 2
        assert all(finalized[c] == ACCEPTED for c in claims)

    # Heads form one chain, and each head is the mean of its round's accepted results, rebuilt here from
    # the workers' artifact servers.
    genesis = net.ledger.job_params(net.job_id).genesis_head
    advanced = [e["args"] for e in net.events("HeadAdvanced")]
    assert advanced[0]["parent"] == genesis
    for previous, current in zip(advanced, advanced[1:]):
        assert current["parent"] == previous["head"]
    for round_ in (0, 1):
        claims = sorted(c for c, a in submitted.items() if a["round"] == round_)
        results = []
        for c in claims:
            with HttpFetcher(submitted[c]["artifactURI"]) as fetch:
                results.append(checkpoint_from_bytes(fetch(submitted[c]["result"]), submitted[c]["result"]))
        assert checkpoint_id(mean_checkpoints(results)) == advanced[round_]["head"]

    # The job is the wasm engine's, and the workers' results are what the module computes from the round's head.
    assert net.spec.engine is not None and net.spec.engine.name == "wasm"

    # Each verifier recorded why it approved.
    verdicts = db_rows(net, "verifier-1", "select * from verdicts where kind = 'claim'")
    assert verdicts and all(v["decision"] == "approve" for v in verdicts)

    # The verifiers handed their signed approvals to the aggregator (--relay), which sent them in approveBatch
    # transactions; a member approved directly only where it logged why (its relay down or late).
    sent_by = {}
    for e in net.events("Approved"):
        tx = net.ledger.w3.eth.get_transaction(e["transactionHash"])
        sent_by[(e["args"]["claimId"], e["args"]["member"])] = net.ledger.contract.decode_function_input(
            tx["input"])[0].fn_name
    assert "approveBatch" in sent_by.values(), sent_by
    for name in ("verifier-1", "verifier-2"):
        fallbacks = {json.loads(r["detail"])["claim"] for r in db_rows(
            net, name, "select detail from work_log where event = 'relay-fallback'")}
        direct = {c for (c, member), fn in sent_by.items() if member == net.nodes[name].address and fn == "approve"}
        assert direct <= fallbacks, f"{name} approved {direct - fallbacks} directly without a reason"


def test_nodes_continue_after_anvil_restarts_from_its_state_file(net):
    round_before = net.round()
    block_before = net.ledger.w3.eth.block_number
    net.anvil.stop()  # SIGTERM: anvil writes its state file
    time.sleep(2)  # nodes meet a dead RPC endpoint meanwhile
    net.anvil.start()
    assert net.ledger.w3.eth.block_number >= block_before, "the chain resumed from its state file"
    net.wait_round(round_before + 1, timeout_s=240)
    advanced = [e["args"] for e in net.events("HeadAdvanced")]
    for previous, current in zip(advanced, advanced[1:]):
        assert current["parent"] == previous["head"]
    assert all(n.process.poll() is None for n in net.nodes.values()), "every node rode out the outage"
