"""A LedgerV2 and jobs on the tests' anvil (mining on each transaction, so blocks move only when a test says)."""
from __future__ import annotations

from pathlib import Path

from node.chain.client import connect
from node.chain.devaccounts import dev_account
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import LedgerV2, Role
from node.config import Deployment, deployment_path
from node.jobs import create_job
from prover.presets import digits_spec

# 24 segments of 200 steps (a digits step takes 0.3-0.5 ms on one core, so about 0.1 s a segment and 2.5 s a
# claim): long enough to pause in the middle of a claim. The tests replay every segment (every_segment=True).
SPEC = digits_spec(steps_per_claim=4800, checkpoint_every=200, samples_per_verifier=24)
# A committee of one: a worker trains only once enough verifier seats exist (roles/worker.py), so deploy() seats
# one verifier (SEATED) that no test runs; nothing is ever finalized here.
TERMS = JobTermsV2(committee_size=1, quorum=1, submit_window=200, verify_window=100)
SEAT_STAKE = 10**18 // 2
SEATED = 9  # dev account holding the seat


def deploy(anvil_url: str, home: Path) -> LedgerV2:
    w3 = connect(anvil_url)
    ledger, receipt = deploy_ledger_v2(w3, dev_account(0), unbonding_delay_blocks=10, seat_stake_wei=SEAT_STAKE)
    Deployment(chain_id=w3.eth.chain_id, address=ledger.address, block=receipt["blockNumber"],
               rpc_url=anvil_url).save(deployment_path(home))
    ledger.send(dev_account(SEATED), "stake", Role.VERIFIER, value=SEAT_STAKE)
    return ledger


def new_job(ledger: LedgerV2, home: Path, spec=SPEC, terms: JobTermsV2 = TERMS) -> int:
    return create_job(ledger, dev_account(0), spec, terms, 10 * 10**18, home=home)["job_id"]


def worker_stake(ledger: LedgerV2, dev_index: int) -> int:
    return ledger.stake(dev_account(dev_index).address, Role.WORKER).active


def mine(ledger: LedgerV2, blocks: int) -> None:
    ledger.w3.provider.make_request("anvil_mine", [hex(blocks)])
