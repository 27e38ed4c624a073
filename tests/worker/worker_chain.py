"""A ledger and jobs on the tests' anvil (mining on each transaction, so blocks move only when a test says)."""
from __future__ import annotations

from pathlib import Path

from node.chain.client import Ledger, connect, deploy_ledger
from node.chain.devaccounts import dev_account
from node.config import Deployment, deployment_path
from node.jobs import JobTerms, create_job
from prover.presets import digits_spec

# 24 segments of 200 steps (a digits step takes 0.3-0.5 ms on one core, so about 0.1 s a segment and 2.5 s a
# claim): long enough to pause in the middle of a claim. The tests replay every segment (every_segment=True).
SPEC = digits_spec(steps_per_claim=4800, checkpoint_every=200, samples_per_verifier=24)
TERMS = JobTerms(quorum=1, max_votes=1, submit_window=200, verify_window=100)


def deploy(anvil_url: str, home: Path) -> Ledger:
    w3 = connect(anvil_url)
    ledger, receipt = deploy_ledger(w3, dev_account(0), unbonding_delay_blocks=10)
    Deployment(chain_id=w3.eth.chain_id, address=ledger.address, block=receipt["blockNumber"],
               rpc_url=anvil_url).save(deployment_path(home))
    return ledger


def new_job(ledger: Ledger, home: Path, spec=SPEC, terms: JobTerms = TERMS) -> int:
    return create_job(ledger, dev_account(0), spec, terms, 10 * 10**18, home=home)["job_id"]


def mine(ledger: Ledger, blocks: int) -> None:
    ledger.w3.provider.make_request("anvil_mine", [hex(blocks)])
