"""The demo's last step before reporting (node/demo.finalize_all): every claim of its job finalized, on a real
anvil with real LedgerV2 claims.

A claim still in its windows is waited for, not forced; once its challenge window has passed the helper
finalizes it itself and counts only the ones it finalized; a claim that cannot be finalized in time fails the run.
"""
from __future__ import annotations

import threading
import time

from node.chain.devaccounts import dev_account
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import ClaimStatus, Role
from node.demo import finalize_all
from node.jobs import create_job
from prover.presets import digits_spec

import pytest

# No seats: every committee is empty, so each claim Expires once its windows pass.
TERMS = JobTermsV2(submit_window=50, verify_window=3, challenge_window=2)
ETH = 10**18


@pytest.fixture(scope="module")
def ledger(w3):
    ledger, _ = deploy_ledger_v2(w3, dev_account(0), unbonding_delay_blocks=10, seat_stake_wei=ETH)
    return ledger


def mine(ledger, blocks: int) -> None:
    ledger.w3.provider.make_request("anvil_mine", [hex(blocks)])


def submit(ledger, job: dict, worker_index: int) -> int:
    worker = dev_account(worker_index)
    ledger.send(worker, "stake", int(Role.WORKER), value=TERMS.claim_bond)
    receipt = ledger.send(worker, "submitClaim", job["job_id"], 0, bytes.fromhex(job["genesis_head"][2:]),
                          bytes([worker_index]) * 32, bytes([worker_index + 100]) * 32, 30, "http://127.0.0.1:1")
    (event,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["ClaimSubmitted"])
    return event["args"]["claimId"]


def past_windows(ledger, claim_id: int) -> int:
    return ledger.claim(claim_id).seed_block + TERMS.verify_window + TERMS.challenge_window + 2


def test_finalizes_every_claim_once_its_window_has_passed(ledger):
    job = create_job(ledger, dev_account(0), digits_spec(), TERMS, ETH)
    first, second = submit(ledger, job, 1), submit(ledger, job, 2)
    mine(ledger, past_windows(ledger, second) - ledger.w3.eth.block_number)
    ledger.send(dev_account(3), "finalizeClaim", first)  # a node got to this one first

    # The second is due and no node finalized it: the helper does, and counts only that one.
    done = finalize_all(ledger, dev_account(0), job["block"], job["job_id"], timeout_s=30, poll_s=0.1)
    assert done.done and (done.submitted, done.by_us) == (2, 1)
    assert done.text() == "all 2 claims finalized (1 by the demo)"
    assert ledger.claim(second).status == ClaimStatus.EXPIRED  # no committee, no approvals: expired


def test_waits_for_an_open_window_and_fails_when_it_never_closes(ledger):
    job = create_job(ledger, dev_account(0), digits_spec(), TERMS, ETH)
    claim = submit(ledger, job, 4)
    # anvil mines only on transactions here: with no blocks the window never closes, so the helper gives up.
    started = time.monotonic()
    stuck = finalize_all(ledger, dev_account(0), job["block"], job["job_id"], timeout_s=1.0, poll_s=0.1)
    assert time.monotonic() - started >= 1.0
    assert not stuck.done and stuck.pending == [claim] and stuck.by_us == 0
    assert stuck.text() == f"1 of 1 claims not finalized (claim ids {claim})"
    assert ledger.claim(claim).status == ClaimStatus.PENDING, "finalized inside its windows"

    # Blocks arriving while it waits: it finalizes the claim as soon as the windows have passed.
    miner = threading.Timer(0.5, mine, (ledger, past_windows(ledger, claim) - ledger.w3.eth.block_number))
    miner.start()
    try:
        done = finalize_all(ledger, dev_account(0), job["block"], job["job_id"], timeout_s=30, poll_s=0.1)
    finally:
        miner.join()
    assert done.done and done.by_us == 1
