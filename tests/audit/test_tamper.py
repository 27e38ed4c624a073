"""Tampering the audit must catch: a head that is not its round's average, and evidence altered after acceptance.

The bogus head is driven straight through the contract with dev accounts on a second job (so the honest job's
nodes carry on): a staked worker submits a claim whose result is served by a small artifact server, two staked
verifiers approve it with EIP-712 signatures relayed by attestBatch, and then approve a head that is not the
mean of that result. Everything the contract checks holds; only the audit's recomputation can tell.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from eth_utils import keccak

from helpers import ArtifactServer, audit, check, db_rows
from node.audit.checks import accepted_accumulator
from node.chain.devaccounts import dev_account
from node.jobs import JobTerms, create_job
from node.fetch import HttpFetcher
from prover.checkpoint import checkpoint_from_bytes, checkpoint_id, checkpoint_to_bytes
from prover.transcript import Transcript
from prover.state import genesis
from verifier.attestation import sign_attestation

pytestmark = pytest.mark.tamper

WORKER, VERIFIERS, RELAYER = 6, (7, 8), 9  # dev accounts the network's nodes do not use
JOB2_TERMS = JobTerms(quorum=2, max_votes=2, submit_window=16, verify_window=20)


def wait_block(w3, number: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while w3.eth.block_number < number:
        assert time.monotonic() < deadline, f"block {number} not mined"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def bogus_head(network):
    """Job 2, round 0: one accepted claim with result R, then an accepted head H != mean([R]) = R."""
    ledger, w3 = network.ledger, network.ledger.w3
    worker, verifiers, relayer = dev_account(WORKER), [dev_account(i) for i in VERIFIERS], dev_account(RELAYER)
    ledger.send(worker, "stake", 1, value=JOB2_TERMS.min_worker_stake)
    for v in verifiers:
        ledger.send(v, "stake", 2, value=JOB2_TERMS.min_verifier_stake)
    job = create_job(ledger, dev_account(0), network.spec, JOB2_TERMS, 10**18, home=network.home)
    job_id = job["job_id"]
    genesis_head = bytes.fromhex(job["genesis_head"][2:])

    tensors = {k: (t + 0.01 if k.startswith("param/") else t) for k, t in genesis(network.spec).items()}
    result = checkpoint_id(tensors)
    server = ArtifactServer({result: checkpoint_to_bytes(tensors)})
    transcript_root = keccak(b"a transcript nobody serves")
    receipt = ledger.send(worker, "submitClaim", job_id, 0, genesis_head, result, transcript_root, 20, server.url)
    (submitted,) = [e for e in ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["ClaimSubmitted"])
                    if e["args"]["jobId"] == job_id]
    claim_id, submit_block = submitted["args"]["claimId"], submitted["args"]["submitBlock"]

    wait_block(w3, submit_block + 3)
    seed = w3.eth.get_block(submit_block + 2)["hash"]
    signed = [sign_attestation(ledger.artifact.abi, w3.eth.chain_id, ledger.address,
                               {"claimId": claim_id, "approve": True, "transcriptRoot": transcript_root,
                                "seed": bytes(seed)}, v.key) for v in verifiers]
    ledger.send(relayer, "attestBatch", [s.struct for s in signed], [s.signature for s in signed])
    ledger.send(relayer, "finalizeClaim", claim_id)

    round_start = ledger.call("getJob", job_id)[5]
    wait_block(w3, round_start + JOB2_TERMS.submit_window)
    bogus = keccak(b"not the average of anything")
    acc = bytes.fromhex(accepted_accumulator([(claim_id, "0x" + result.hex())])[2:])
    receipt = ledger.send(relayer, "proposeHead", job_id, 0, bogus, acc)
    (proposed,) = [e for e in ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["HeadProposed"])
                   if e["args"]["jobId"] == job_id]  # the honest job's aggregator may propose in the same block
    proposal = proposed["args"]["proposalId"]
    for v in verifiers:
        ledger.send(v, "attestHead", proposal, True)
    finalized = ledger.send(relayer, "finalizeHead", proposal)
    assert ledger.call("getJob", job_id)[6] == bogus, "the contract accepted the bogus head"
    wait_block(w3, finalized["blockNumber"] + 1)  # the audit reads up to one block behind the head
    yield {"job": job_id, "claim": claim_id, "result": "0x" + result.hex(), "bogus": "0x" + bogus.hex(),
           "verifiers": [v.address for v in verifiers]}
    server.close()


def test_head_that_is_not_the_round_average_fails_the_audit(network, bogus_head, tmp_path):
    db = tmp_path / "audit.db"
    result, report = audit(network, db)
    assert result.exit_code == 1, result.output
    heads = check(report, "head_average")
    assert heads["status"] == "fail"
    (bad,) = [e for e in heads["evidence"] if e["status"] == "fail"]
    assert (bad["job"], bad["round"], bad["head"], bad["recomputed"]) == \
        (bogus_head["job"], 0, bogus_head["bogus"], bogus_head["result"])
    # Everything the contract itself enforces still holds: the fraud is only in the average.
    for name in ("ledger_state", "claim_votes", "credits", "eth_balance", "head_chain"):
        assert check(report, name)["status"] == "pass", check(report, name)
    votes = db_rows(db, "select * from votes where claim_id = ?", (bogus_head["claim"],))
    assert sorted(v["signer"] for v in votes) == sorted(bogus_head["verifiers"])
    assert all(v["via"] == "attestBatch" and v["signature"] for v in votes)
    # The explorer's data shows the verdict beside the head.
    (row,) = db_rows(db, "select status from checks where name = 'head_average'")
    assert row["status"] == "fail"


def everything_served_by(url: str, artifacts: Path) -> dict[bytes, bytes]:
    """Every artifact the worker's node serves: its stored files, and every checkpoint its transcripts name
    (the node regenerates those it did not keep), fetched from the node itself."""
    served = {}
    for path in artifacts.iterdir():
        if path.is_file() and path.name.endswith(".transcript.json"):
            served[bytes.fromhex(path.name.split(".")[0])] = path.read_bytes()
            for cid in Transcript.from_bytes(path.read_bytes()).boundary_ids():
                with HttpFetcher(url) as fetch:
                    served[cid] = fetch(cid)
    return served


def _round0_claim(network, worker_name: str) -> dict:
    worker = network.nodes[worker_name]
    (claim,) = [e["args"] for e in network.events("ClaimSubmitted")
                if e["args"]["round"] == 0 and e["args"]["jobId"] == network.job_id
                and e["args"]["worker"] == worker.address]
    return claim


def test_an_artifact_altered_on_an_honest_workers_disk_is_never_served(network, tmp_path):
    """The worker's server re-checks every file against its id: an altered copy is quarantined and the
    checkpoint regenerated from the transcript, so the audit sees the committed bytes and passes."""
    claim = _round0_claim(network, "worker-1")
    artifacts = network.data_dir("worker-1") / "artifacts"
    path = artifacts / f"{claim['result'].hex()}.safetensors"
    original = path.read_bytes()
    path.write_bytes(original[:-1] + bytes([original[-1] ^ 0x01]))  # one bit of one weight
    result, report = audit(network, tmp_path / "audit.db", "--reverify", "1000", "--reverify-seed", "1")
    # (The audit as a whole fails on the bogus job above; this job's evidence must all hold.)
    replays = {e["claim"]: e for e in check(report, "reverify")["evidence"]}
    assert replays[claim["claimId"]]["status"] == "pass", replays[claim["claimId"]]
    ours = [e for e in replays.values() if e["job"] == network.job_id]
    assert ours and all(e["status"] == "pass" for e in ours)
    heads = [e for e in check(report, "head_average")["evidence"] if e.get("job") == network.job_id]
    assert heads and all(e["status"] == "pass" for e in heads)
    assert checkpoint_id(checkpoint_from_bytes(path.read_bytes())) == claim["result"], "regenerated, not the copy"
    quarantined = list((artifacts / ".quarantine").iterdir())
    assert any(q.read_bytes() != original and q.name.startswith(claim["result"].hex()) for q in quarantined)


def test_evidence_altered_after_acceptance_is_caught(network, tmp_path):
    """A worker that serves other bytes than it committed to (its node replaced by a server of its own)."""
    claim = _round0_claim(network, "worker-1")
    node = network.nodes["worker-1"]
    served = everything_served_by(node.url, network.data_dir("worker-1") / "artifacts")
    honest_result = served[claim["result"]]
    served[claim["result"]] = honest_result[:-1] + bytes([honest_result[-1] ^ 0x01])  # one bit of one weight
    network.stop("worker-1")
    server = ArtifactServer(served, port=node.port)  # the claim's artifactURI now reaches the forger
    try:
        result, report = audit(network, tmp_path / "audit.db", "--reverify", "1000", "--reverify-seed", "1")
        assert result.exit_code == 1, result.output
        replays = {e["claim"]: e for e in check(report, "reverify")["evidence"]}
        assert replays[claim["claimId"]]["status"] == "fail"
        assert "tampered" in replays[claim["claimId"]]["reason"]
        honest = [e for c, e in replays.items() if c != claim["claimId"] and e["job"] == network.job_id]
        assert honest and all(e["status"] == "pass" for e in honest)
        heads = [e for e in check(report, "head_average")["evidence"]
                 if e.get("job") == network.job_id and e.get("round") == 0 and e.get("head_round") == 1]
        assert len(heads) == 1 and heads[0]["status"] == "fail"
        assert claim["claimId"] in heads[0]["claims"] and "tampered" in heads[0]["problem"]
    finally:
        server.close()
