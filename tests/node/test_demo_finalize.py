"""The demo's last step before reporting: every claim of its job finalized, on a real anvil with real claims.

A claim still in its voting window is waited for, not forced; once the window has passed the helper finalizes
it itself, and counts only the ones it finalized; a claim that cannot be finalized in time fails the run.
"""
from __future__ import annotations

import threading
import time

import pytest

from node.chain.client import connect, deploy_ledger
from node.chain.devaccounts import dev_account
from node.chain.enums import ClaimStatus, Role
from node.demo_finalize import finalize_all
from node.jobs import JobTerms, create_job
from prover.presets import digits_spec

TERMS = JobTerms(quorum=1, max_votes=1, submit_window=50, verify_window=5)


@pytest.fixture(scope="module")
def ledger(anvil):
    ledger, _ = deploy_ledger(connect(anvil.url), dev_account(0), unbonding_delay_blocks=10)
    return ledger


def mine(ledger, blocks: int) -> None:
    ledger.w3.provider.make_request("anvil_mine", [hex(blocks)])


def submit(ledger, job: dict, worker_index: int) -> int:
    worker = dev_account(worker_index)
    ledger.send(worker, "stake", Role.WORKER, value=TERMS.min_worker_stake)
    receipt = ledger.send(worker, "submitClaim", job["job_id"], 0, bytes.fromhex(job["genesis_head"][2:]),
                          bytes([worker_index]) * 32, bytes([worker_index + 100]) * 32, 30, "http://127.0.0.1:1")
    (event,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["ClaimSubmitted"])
    return event["args"]["claimId"]


def test_finalizes_every_claim_once_its_window_has_passed(ledger):
    job = create_job(ledger, dev_account(0), digits_spec(), TERMS, 10**18)
    from_block = job["block"]
    first, second = submit(ledger, job, 1), submit(ledger, job, 2)
    mine(ledger, TERMS.verify_window + 3)
    ledger.send(dev_account(3), "finalizeClaim", first)  # a node got to this one first

    # The second is due and no node finalized it: the helper does, and counts only that one.
    done = finalize_all(ledger, dev_account(0), from_block, job["job_id"], timeout_s=30, poll_s=0.1)
    assert done.done and (done.submitted, done.by_us) == (2, 1)
    assert done.text() == "all 2 claims finalized (1 by the demo)"
    assert ledger.call("getClaim", second)[9] == ClaimStatus.EXPIRED  # no votes: expired, stake unlocked


def test_waits_for_an_open_window_and_fails_when_it_never_closes(ledger):
    job = create_job(ledger, dev_account(0), digits_spec(), TERMS, 10**18)
    claim = submit(ledger, job, 4)
    # anvil mines only on transactions here: with no blocks the window never closes, so the helper gives up.
    started = time.monotonic()
    stuck = finalize_all(ledger, dev_account(0), job["block"], job["job_id"], timeout_s=1.0, poll_s=0.1)
    assert time.monotonic() - started >= 1.0
    assert not stuck.done and stuck.pending == [claim] and stuck.by_us == 0
    assert stuck.text() == f"1 of 1 claims not finalized (claim ids {claim})"
    assert ledger.call("getClaim", claim)[9] == ClaimStatus.PENDING, "finalized inside its voting window"

    # Blocks arriving while it waits: it finalizes the claim as soon as the window has passed.
    miner = threading.Timer(0.5, mine, (ledger, TERMS.verify_window + 3))
    miner.start()
    try:
        done = finalize_all(ledger, dev_account(0), job["block"], job["job_id"], timeout_s=30, poll_s=0.1)
    finally:
        miner.join()
    assert done.done and done.by_us == 1
