"""`gradchain explorer --live` as a real process against the session's live anvil: the explorer builds its audit
database by the audit's own resumable read, then keeps it in sync in the background, so a page reload in a real
headless chromium shows a job and claim sent after it started (without running `gradchain audit` again), and the
sync line moves to the new block. The chain is put back (evm_revert) afterwards for the other tests."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from eth_utils import keccak

from browser_helpers import LEAD_SHOTS, browser_page, cells, require_chromium, save_screenshot
from node.api.server import free_port
from node.chain.devaccounts import dev_account
from scenario import GENESIS, OWNER, PARAMS, STEPS, WORKERS, _event, mine

sys.path.insert(0, str(Path(__file__).parent.parent))  # tests/waiting.py
from waiting import wait_for  # noqa: E402

sync_api = require_chromium()
GRADCHAIN = Path(sys.executable).parent / "gradchain"
ETH = 10**18


@pytest.fixture
def reverted_chain(history):
    """The chain as it was before the test: its new job, claim and blocks are undone for the tests after it."""
    w3 = history.ledger.w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    yield w3
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True


@pytest.fixture
def live_explorer(history, reverted_chain, tmp_path):
    port = free_port()
    db = tmp_path / "live.db"
    log = open(tmp_path / "explorer.log", "w")
    proc = subprocess.Popen([str(GRADCHAIN), "explorer", "--home", str(history.home), "--db", str(db), "--port",
                             str(port), "--live", "--sync-every", "0.5"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return httpx.get(url + "/claims", timeout=2).status_code == 200
        except httpx.HTTPError:
            return proc.poll() is not None  # exited: fail below with its log
    try:
        wait_for(up, 120, "the live explorer to serve")
        assert proc.poll() is None, (tmp_path / "explorer.log").read_text()
        yield url, db, tmp_path / "explorer.log"
    finally:
        proc.terminate()  # stopped before the chain is reverted under it
        proc.wait(timeout=15)
        log.close()


def synced_block(page) -> int:
    return int(page.inner_text("#synced-block").replace(",", ""))


def test_a_new_claim_appears_on_reload_without_running_the_audit(history, live_explorer, tmp_path):
    url, db, log = live_explorer
    ledger, w3 = history.ledger, history.ledger.w3
    assert "live: synced to block" in log.read_text()
    with browser_page(sync_api) as page:
        page.goto(url + "/claims?size=500")
        before = [r[0] for r in cells(page, "claims")]
        assert before == [f"claim #{i}" for i in range(1, len(before) + 1)] and before
        assert re.search(r"synced to block [\d,]+, (just now|\d+ s ago) · live", page.inner_text("#sync"))
        start = synced_block(page)

        # A new job (a fresh round 0) and a claim on it, sent after the explorer started.
        r = ledger.send(dev_account(OWNER), "createJob", PARAMS.as_tuple(), value=20 * ETH)
        job = _event(ledger, r, "JobCreated")["jobId"]
        r = ledger.send(dev_account(WORKERS[2]), "submitClaim", job, 0, GENESIS, keccak(b"live"), keccak(b"live-root"),
                        STEPS, "")
        claim = _event(ledger, r, "ClaimSubmitted")["claimId"]
        tx_hash = r["transactionHash"].to_0x_hex()
        mine(w3, 1)  # the sync reads to one block behind the head, like the audit

        def shown():
            page.reload()
            return f"claim #{claim}" in [r[0] for r in cells(page, "claims")]
        wait_for(shown, 30, f"claim #{claim} on the reloaded claims page", poll_s=0.5)
        row = next(r for r in cells(page, "claims") if r[0] == f"claim #{claim}")
        assert int(row[1]) == job and row[4] == "Pending"
        assert synced_block(page) >= r["blockNumber"] > start
        save_screenshot(page, tmp_path, "explorer-live-new-claim", LEAD_SHOTS)

        page.goto(f"{url}/tx/{tx_hash}")
        assert page.inner_text("span.function") == "submit claim"
        def heads_shown():  # like the claims page: within a sync or two (a page read mid-write is read again)
            page.goto(f"{url}/")
            return page.query_selector(f"table#heads-{job}") is not None
        wait_for(heads_shown, 30, f"the new job {job}'s heads on the reloaded home page", poll_s=0.5)
    assert "Traceback" not in log.read_text()
