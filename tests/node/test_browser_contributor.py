"""Contributing from a browser (issue 17), end to end: real headless Chromium pages on a gateway node's contributor
page, a real anvil, and real Python verifier and aggregator processes.

Two people open the page. Each makes a key in the page (kept encrypted in the browser), is funded, stakes, and
allows training when idle: one through the page's inactivity timer, the other through the Idle Detection API
(granted and driven through CDP), which holds it while the person is active. The honest one caps the CPU at 10 %; while it trains, moving the mouse pauses it within a second and idleness resumes it,
and so do Pause and Resume. The page trains its claim in a Web Worker with the job's wasm module, pushes its checkpoints and transcript to the gateway
(uploads signed by the page's key), and submits the claim. The honest page's claim is replayed by the Python
verifiers with the same module under wasmtime, in exact mode, and accepted: its checkpoint ids are bit-identical
to a wasmtime run of the same claim; the person withdraws from the page and the ETH arrives. The other page is
tampered with (a test hook alters its update, as a modified module would): its claim is rejected and its stake
slashed, and it never reaches a head. A Python worker's claim of the same round is accepted beside the browser's,
and the round's head is the mean of the two. The page's keystore opens in `gradchain wallet import` and `cast
wallet`; the gateway refuses uploads from an unstaked address and beyond an address's quota.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from node.chain.devaccounts import dev_account
from node.chain.foundry import foundry_binary
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import ClaimStatus, SlashReason
from node.fetch import HttpFetcher
from prover.aggregate import mean_checkpoints
from prover.checkpoint import checkpoint_from_bytes, checkpoint_id
from prover.claim import prove_claim
from prover.presets import digits_wasm_spec
from prover.store import DirStore

from node_network import Network, free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit_v2"))
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, LEAD_SHOTS, require_chromium  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from waiting import wait_for  # noqa: E402

pytestmark = pytest.mark.network
GRADCHAIN = Path(sys.executable).parent / "gradchain"
sync_api = require_chromium()

# S = 4 segments; long enough that a page capped at 10 % of a core trains for several seconds (pause is tried then)
SPEC = digits_wasm_spec(steps_per_claim=1000, checkpoint_every=250)
# Windows in blocks of 0.25 s: a page needs a few seconds to train and push; a dispute a jury's commit and reveal.
TERMS = JobTermsV2(submit_window=200, verify_window=48, challenge_window=24, jury_size=3, commit_window=24,
                   reveal_window=24, head_window=8)
QUOTA = 1_000_000  # bytes per contributor address at the gateway: a claim here is about 150 kB
NODES = (("worker-1", "worker", 1, ()), ("verifier-1", "verifier", 3, ()), ("verifier-2", "verifier", 4, ()), ("verifier-3", "verifier", 5, ()),
         ("verifier-4", "verifier", 6, ()), ("aggregator", "aggregator", 7, ()),
         ("gateway", "gateway", 8, ("--upload-quota", str(QUOTA))))
PASSWORD = "contributor-pass"
FUNDER = 0  # the job owner's dev account: idle once the job exists


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    network = Network(home=tmp_path_factory.mktemp("browser"), port=free_port())
    network.start_chain()
    network.deploy_and_create_job(SPEC, TERMS)
    for name, role, index, args in NODES:
        network.add(name, role, index, args=args)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRADCHAIN_KDF_N", "1024")  # test only: the page's keystore scrypt, cheap (the gateway says it)
        for name in network.nodes:
            network.start(name)
    network.wait_serving(list(network.nodes), timeout_s=240)
    network.create_job()
    yield network
    network.stop_all()


def fund(net: Network, address: str, eth: int) -> None:
    w3 = net.ledger.w3
    funder = dev_account(FUNDER)
    tx = {"to": address, "value": eth * 10**18, "nonce": w3.eth.get_transaction_count(funder.address, "pending"),
          "gas": 21_000, "gasPrice": w3.eth.gas_price, "chainId": w3.eth.chain_id}
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(
        funder.sign_transaction(tx).raw_transaction), timeout=30)
    assert receipt["status"] == 1


def open_contributor(page, net: Network, query: str = "", idle_s: int = 1, cap: int = 50) -> str:
    """The page as a person uses it: a new key, funded, staked, consent to train when idle for `idle_s` at `cap`
    percent of a core. Returns its address."""
    url = net.nodes["gateway"].url
    started = time.monotonic()
    page.goto(f"{url}/contribute{query}")
    page.wait_for_function("document.getElementById('ready').textContent === 'ready'", timeout=30_000)
    print(f"\ncontributor page ready {time.monotonic() - started:.2f} s after it was asked for")
    terms = page.inner_text("#terms")
    assert "training steps per claim" in terms and "slashed if a claim is proven wrong" in terms, terms
    page.fill("#password", PASSWORD)
    page.click("#create")
    page.wait_for_function("document.getElementById('address').textContent.startsWith('0x')", timeout=60_000)
    address = page.inner_text("#address")
    fund(net, address, 3)
    page.click("#stake-btn")
    wait_for(lambda: net.ledger.stake(address, 1).active >= net.ledger.job_params(net.job_id).claim_bond, 60,
             f"the page's stake of {address}", poll_s=0.5)
    page.fill("#idle-seconds", str(idle_s))
    page.eval_on_selector("#cap", f"e => {{ e.value = {cap}; e.dispatchEvent(new Event('input')); }}")
    page.click("#allow")
    return address


def grant_idle_detection(browser, page, origin: str):
    """The Idle Detection permission a person grants, and an emulated idle state (CDP: Playwright has neither);
    returns set_active(bool), the person's activity as the page's IdleDetector will see it."""
    session = browser.new_browser_cdp_session()
    for context_id in session.send("Target.getBrowserContexts")["browserContextIds"]:
        session.send("Browser.setPermission", {"permission": {"name": "idle-detection"}, "setting": "granted",
                                               "origin": origin, "browserContextId": context_id})
    cdp = page.context.new_cdp_session(page)

    def set_active(active: bool) -> None:
        cdp.send("Emulation.setIdleOverride", {"isUserActive": active, "isScreenUnlocked": True})
    return set_active


def step_of(page) -> int:
    return int(page.eval_on_selector("#progress", "p => p.dataset.step || 0"))


def frozen_within_one_second(page, hold_s: float) -> tuple[int, int]:
    """(step 1 s after the cause, step `hold_s` later): equal when training stopped within a second."""
    time.sleep(1.0)
    first = step_of(page)
    time.sleep(hold_s)
    assert 0 < first < SPEC.steps_per_claim, f"no claim in training to hold (at step {first})"
    return first, step_of(page)


def keystore_of(page, tmp_path: Path) -> Path:
    """The page's key as its Export button gives it: the V3 keystore JSON kept in the browser."""
    path = tmp_path / f"keystore-{time.monotonic_ns()}.json"
    path.write_text(page.evaluate("localStorage.getItem('gradchain.keystore')"))
    return path


def claims_of(net: Network, address: str) -> list[dict]:
    return [e["args"] for e in net.events("ClaimSubmitted") if e["args"]["worker"] == address]


def final(net: Network, claim_id: int):
    found = [e["args"]["status"] for e in net.events("ClaimFinalized") if e["args"]["claimId"] == claim_id]
    return found[0] if found else None


def test_a_browser_trains_on_idle_is_verified_by_python_paid_and_withdraws(net, tmp_path):
    LEAD_SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # Two people: two browser profiles (each its own localStorage, so its own key).
        honest_page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        tampered_page = browser.new_context().new_page()
        honest = open_contributor(honest_page, net, idle_s=3, cap=10)
        wait_for(lambda: step_of(honest_page) >= 1, 120, "the honest page to start training", poll_s=0.2)
        time.sleep(1.2)  # the loop has drawn the progress line
        honest_page.screenshot(path=str(LEAD_SHOTS / "contribute-at-work.png"), full_page=True)
        # Becoming active pauses an idle-only contributor within a second; idle again, it goes on.
        honest_page.mouse.move(200, 300)
        honest_page.mouse.move(240, 320)
        first, later = frozen_within_one_second(honest_page, 1.0)
        assert first == later and honest_page.inner_text("#state") == "waiting for the computer to be idle", \
            (first, later)
        wait_for(lambda: step_of(honest_page) > later, 30, "training to resume once idle", poll_s=0.2)
        # Pause holds it within a second, however idle the computer stays; Resume lets it go on.
        honest_page.click("#pause")
        first, later = frozen_within_one_second(honest_page, 3.5)  # past the idle threshold
        assert first == later and honest_page.inner_text("#state") == "paused", (first, later)
        honest_page.click("#resume")
        wait_for(lambda: step_of(honest_page) > later, 30, "training to resume", poll_s=0.2)
        # The other person grants Idle Detection (the API's least threshold is 60 s) and is at the keyboard.
        set_active = grant_idle_detection(browser, tampered_page, net.nodes["gateway"].url)
        set_active(True)
        tampered = open_contributor(tampered_page, net, "?tamper=1", idle_s=60)
        tampered_page.wait_for_function(  # set once the detector has started (asynchronously, after the click)
            "document.getElementById('idle-mode').textContent.includes('(Idle Detection)')", timeout=30_000)
        time.sleep(3)
        assert claims_of(net, tampered) == [] and step_of(tampered_page) == 0
        assert tampered_page.inner_text("#state") == "waiting for the computer to be idle"
        set_active(False)  # away from the computer: it trains
        assert honest != tampered
        (claim,) = wait_for(lambda: claims_of(net, honest), 240, "the honest page's claim", poll_s=1)
        (bad,) = wait_for(lambda: claims_of(net, tampered), 60, "the tampered page's claim", poll_s=1)
        assert claim["artifactURI"] == bad["artifactURI"] == net.nodes["gateway"].url
        honest_page.screenshot(path=str(LEAD_SHOTS / "contribute-training.png"), full_page=True)

        # Verified by the Python verifiers in exact mode: accepted; the tampered one rejected.
        assert wait_for(lambda: final(net, claim["claimId"]), 300, "the honest claim's outcome") == \
            ClaimStatus.ACCEPTED
        assert wait_for(lambda: final(net, bad["claimId"]), 400, "the tampered claim's outcome") == \
            ClaimStatus.REJECTED
        slashed = [e["args"] for e in net.events("Slashed") if e["args"]["account"] == tampered]
        assert any(s["reason"] == SlashReason.CLAIM_BOND and s["subjectId"] == bad["claimId"] for s in slashed), slashed

        # Bit-identical to wasmtime: the same claim proved here from the same head has the same result id.
        with HttpFetcher(claim["artifactURI"]) as fetch:
            head = checkpoint_from_bytes(fetch(claim["base"]), claim["base"])
        from prover.jobkey import job_key

        key = job_key(net.deployment.chain_id, net.ledger.address, net.job_id)
        proof = prove_claim(SPEC, head, claim["round"], honest, DirStore(tmp_path / "replay"), job_key=key)
        assert proof.result_id == claim["result"] and proof.transcript.root == claim["transcriptRoot"]

        # Paid, and withdrawn from the page: the ETH arrives.
        credit = wait_for(lambda: net.ledger.credit(honest), 60, "the honest page's credit")
        assert credit >= net.ledger.job_params(net.job_id).reward_per_claim
        honest_page.wait_for_selector(f"#claims tr[data-claim='{claim['claimId']}'][data-status='Accepted']",
                                      timeout=30_000)
        before = net.ledger.w3.eth.get_balance(honest)
        honest_page.wait_for_function("!document.getElementById('withdraw').disabled", timeout=30_000)
        honest_page.click("#withdraw")
        wait_for(lambda: net.ledger.credit(honest) == 0, 60, "the withdrawal")
        after = net.ledger.w3.eth.get_balance(honest)
        assert after - before > credit * 9 // 10, (before, after, credit)
        heads = {e["args"]["head"] for e in net.events("HeadAdvanced")}
        assert bad["result"] not in heads

        # The browser's claim and the Python worker's of the same round, both accepted, averaged into one head.
        python_worker = net.nodes["worker-1"].address
        (beside,) = [c for c in claims_of(net, python_worker) if c["round"] == claim["round"]]
        assert wait_for(lambda: final(net, beside["claimId"]), 120, "the Python worker's outcome") == \
            ClaimStatus.ACCEPTED
        advanced = wait_for(lambda: [e["args"] for e in net.events("HeadAdvanced") if e["args"]["parent"] ==
                                     claim["base"]], 120, "the head of the browser's round")
        results = []
        for c in sorted((claim, beside), key=lambda c: c["claimId"]):
            with HttpFetcher(c["artifactURI"]) as fetch:
                results.append(checkpoint_from_bytes(fetch(c["result"]), c["result"]))
        assert advanced[0]["head"] == checkpoint_id(mean_checkpoints(results))

        # The page's keystore is a V3 keystore that gradchain and cast read, with the person's password.
        keystore = keystore_of(honest_page, tmp_path)
        env = {**os.environ, "GRADCHAIN_HOME": str(tmp_path / "home"), "GRADCHAIN_PASSWORD": PASSWORD}
        imported = subprocess.run([str(GRADCHAIN), "wallet", "import", "from-page", "--keystore", str(keystore)],
                                  env=env, capture_output=True, text=True, timeout=120)
        assert imported.returncode == 0 and honest in imported.stdout + imported.stderr, imported
        cast = subprocess.run([str(foundry_binary("cast")), "wallet", "address", "--keystore", str(keystore),
                               "--password", PASSWORD], capture_output=True, text=True, timeout=60)
        assert cast.returncode == 0 and cast.stdout.strip() == honest, cast

        # The gateway keeps artifacts only for staked workers, each within its quota.
        from eth_account import Account

        from node.upload_client import upload_artifact

        gateway = net.nodes["gateway"].url
        blob = b"\x01" * (QUOTA + 1)
        from node.artifact_store import content_id

        blob_id = content_id("blob", blob)
        unstaked = upload_artifact(gateway, blob_id, "blob", blob[:1000], dev_account(9))
        assert unstaked.status_code == 403 and "worker stake" in unstaked.text, unstaked.text
        key = Account.from_key(Account.decrypt(keystore.read_text(), PASSWORD))
        over = upload_artifact(gateway, blob_id, "blob", blob, key)
        assert over.status_code in (413, 429) and "quota" in over.text, (over.status_code, over.text)
        honest_page.wait_for_function("document.getElementById('log').textContent.includes('withdraw: mined')",
                                      timeout=30_000)
        honest_page.screenshot(path=str(LEAD_SHOTS / "contribute-paid.png"), full_page=True)
        log = honest_page.inner_text("#log")
        assert "withdraw: mined" in log and "failed" not in log, log

        # Coming back: the key is still in the browser, and opens with its password only.
        honest_page.reload()
        honest_page.wait_for_function("document.getElementById('ready').textContent === 'ready'", timeout=30_000)
        assert honest_page.is_visible("#has-key")
        honest_page.fill("#unlock-password", "not-the-password")
        honest_page.click("#unlock-btn")
        honest_page.wait_for_function("document.getElementById('wallet-error').textContent.includes('wrong password')",
                                      timeout=30_000)
        honest_page.fill("#unlock-password", PASSWORD)
        honest_page.click("#unlock-btn")
        honest_page.wait_for_function(f"document.getElementById('address').textContent === '{honest}'",
                                      timeout=30_000)
