"""`gradchain node run --role worker` as a real process on a real chain, under real CPU load.

- without consent it exits before training or staking, and says how to consent;
- --max-threads reaches torch in the worker process;
- --only-when-idle: a load the test starts (one spinning process per core) pauses the worker in the middle of
  a claim within a few seconds; when the load stops it resumes where it stopped, and the claim verifies;
- a claim paused past its round's submission window is abandoned, and nothing is submitted for it.
"""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from node.api.server import free_port
from node.chain.devaccounts import dev_account
from node.fetch import HttpFetcher
from node.worker_policy.idle import machine_cpu_seconds, own_cpu_seconds
from verifier.claim import Claim
from prover.jobkey import job_key
from verifier.verify import verify_claim

from worker_chain import SPEC, TERMS, deploy, mine, new_job, worker_stake

# Real node processes racing chain windows: the slow part of the suite (-m "not network" leaves it out).
pytestmark = pytest.mark.network

REPO = Path(__file__).resolve().parents[2]
PAUSE_LIMIT_S = 5.0  # "within a few seconds": the idle sample interval (0.5 s) plus one segment, with margin
SPIN = "while True: pass"


class WorkerProcess:
    def __init__(self, home: Path, job_id: int, dev_index: int, *flags: str, data_dir: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir or home / "nodes" / f"worker-{job_id}-{dev_index}"
        self.log_path = home / f"worker-{job_id}-{dev_index}-{self.port}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "node.cli", "node", "run", "--role", "worker", "--job", str(job_id),
                 "--home", str(home), "--dev-account", str(dev_index), "--port", str(self.port), "--data-dir",
                 str(self.data_dir), "--poll-interval", "0.2", "--auto-stake", "1",
                 # The module's anvil mines only on transactions: nothing would ever follow the last block.
                 "--confirmations", "0", *flags],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def status(self) -> dict:
        return httpx.get(f"{self.url}/status", timeout=2).json()["details"]

    def wait_status(self, predicate, timeout_s: float, what: str, every_s: float = 0.05) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"worker exited: {self.log()[-3000:]}"
            try:
                status = self.status()
                if predicate(status):
                    return status
            except (httpx.HTTPError, KeyError, TypeError):
                pass
            time.sleep(every_s)
        raise AssertionError(f"timed out after {timeout_s}s waiting for {what}; log:\n{self.log()[-3000:]}")

    def db(self, sql: str, params=()) -> list[dict]:
        conn = sqlite3.connect(self.data_dir / "node.db")
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class CpuLoad:
    """The owner comes back: busy-looping processes, several per core so that they dominate whatever else this
    machine runs (the worker's share, and so its own CPU use, shrinks as the load grows)."""

    def __init__(self, per_core: int = 4):
        self.procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(per_core * (os.cpu_count() or 2))]

    def stop(self) -> None:
        for p in self.procs:
            p.kill()
            p.wait()


@pytest.fixture(scope="module")
def chain(anvil, tmp_path_factory):
    home = tmp_path_factory.mktemp("worker-home")
    ledger = deploy(anvil.url, home)
    return home, ledger


def idle_threshold() -> str:
    """A threshold above what other processes already use here (a shared CI machine is rarely idle).

    The test's load must push others' share well past it; on a machine already this busy it could not.
    """
    samples = []
    busy0, total0 = machine_cpu_seconds()
    own0 = own_cpu_seconds()
    for _ in range(8):
        time.sleep(0.25)
        busy1, total1 = machine_cpu_seconds()
        own1 = own_cpu_seconds()
        samples.append(100 * max(0.0, busy1 - busy0 - (own1 - own0)) / max(total1 - total0, 1e-9))
        busy0, total0, own0 = busy1, total1, own1
    # Wide margins: the test's own status polling and the chain count as "others" too, and the synthetic load
    # (several spinning processes per core) pushes others' share to about 100%.
    threshold = max(40.0, max(samples) + 25)
    if threshold > 85:
        pytest.skip(f"other processes already use up to {max(samples):.0f}% of this machine's CPU: "
                    "too busy to tell a synthetic load from the background")
    return f"{threshold:.0f}"


def in_claim(status: dict) -> bool:
    return (status.get("claim_in_progress") or {}).get("segments_done", 0) >= 2


def test_without_consent_nothing_trains_and_the_message_says_how(chain, tmp_path):
    home, ledger = chain
    job_id = new_job(ledger, home)
    # A machine that never agreed: its own home with the same deployment and job.
    fresh = tmp_path / "fresh-home"
    (fresh / "jobs" / str(job_id)).mkdir(parents=True)
    shutil.copy(home / "deployment.json", fresh / "deployment.json")
    shutil.copy(home / "jobs" / str(job_id) / "spec.json", fresh / "jobs" / str(job_id) / "spec.json")
    worker = WorkerProcess(fresh, job_id, 8)
    assert worker.process.wait(120) == 1
    out = worker.log()
    assert "no consent recorded for job" in out and "--yes" in out and "worker.toml" in out, out
    assert "reward" in out and "0.1 ETH per accepted claim" in out and "mlp-digits" in out, out
    assert not list((worker.data_dir / "artifacts").glob("*")), "something was trained"
    assert not worker.db("select * from outbox"), "a transaction was sent without consent"
    assert worker_stake(ledger, 8) == 0
    assert not (fresh / "consent.json").exists()


# The pause tests need a claim still training when the load starts: 4,800 steps took 0.8-2 s on this machine,
# less than starting the load and seeing it; 24 segments of 800 steps take 3-8 s.
PAUSABLE = SPEC.replace(steps_per_claim=19_200, checkpoint_every=800)


def resumed_or_done(paused_at: int):
    """Training went on after the pause: a later segment, or (between two polls) the whole claim submitted."""
    return lambda s: ((s.get("claim_in_progress") or {}).get("segments_done", 0) > paused_at
                      or s["earnings"]["claims"]["submitted"] == 1)


def test_idle_only_worker_pauses_under_load_resumes_and_its_claim_verifies(chain):
    home, ledger = chain
    job_id = new_job(ledger, home, PAUSABLE)
    threshold = idle_threshold()
    worker = WorkerProcess(home, job_id, 7, "--yes", "--max-threads", "1", "--only-when-idle",
                           "--idle-threshold", threshold, "--idle-grace", "1")
    load = None
    try:
        status = worker.wait_status(in_claim, 120, "the worker to start a claim")
        assert status["torch_threads"] == 1, "--max-threads did not reach torch"
        assert status["settings"]["only_when_idle"] is True

        load = CpuLoad()
        started = time.monotonic()
        status = worker.wait_status(lambda s: s["activity"] == "paused", 30, "the worker to pause", every_s=0.02)
        latency = time.monotonic() - started
        paused_at = status["claim_in_progress"]["segments_done"]
        print(f"\npause latency: {latency:.2f} s from starting the load to the worker reporting 'paused' "
              f"(worker's own measure from its first busy sample: {status['last_pause_latency_s']:.2f} s), "
              f"at segment {paused_at} of {PAUSABLE.segments_per_claim}; idle threshold {threshold}%")
        assert latency < PAUSE_LIMIT_S
        assert 0 < paused_at < PAUSABLE.segments_per_claim and "idle" in status["reason"]
        time.sleep(2.0)
        status = worker.status()
        assert status["activity"] == "paused" and status["claim_in_progress"]["segments_done"] == paused_at, \
            "training went on under load"
        assert status["cpu"]["others_percent"] > float(threshold)

        load.stop()
        load = None
        worker.wait_status(resumed_or_done(paused_at), 30, "training to resume", every_s=0.5)
        claims = worker.wait_status(lambda s: s["earnings"]["claims"]["submitted"] == 1, 60, "the claim")
        earnings = claims["earnings"]
        assert earnings["steps_trained"] == PAUSABLE.steps_per_claim and earnings["steps_per_second"] > 0
        assert earnings["seconds_paused"] >= 2.0 and earnings["seconds_working"] > 0
        assert earnings["est_reward_per_hour_eth"] > 0 and earnings["reward_per_claim_eth"] == 0.1

        (event,) = [e for e in ledger.events(0, names=["ClaimSubmitted"]) if e["args"]["jobId"] == job_id]
        a = event["args"]
        claim = Claim(claim_id=a["claimId"], worker=a["worker"], round=a["round"], base=a["base"],
                      result=a["result"], transcript_root=a["transcriptRoot"], steps=a["steps"],
                      job_key=job_key(ledger.w3.eth.chain_id, ledger.address, job_id))
        with HttpFetcher(a["artifactURI"]) as fetch:  # every segment is replayed
            verdict = verify_claim(PAUSABLE, claim, ledger.job(job_id).head, b"\x02" * 32,
                                   dev_account(9).address, fetch, every_segment=True)
        assert verdict.decision == "approve", verdict
        # No --url: `node status` finds the one node running under this home (HOME/run, node/host_share.py).
        status = subprocess.run([sys.executable, "-m", "node.cli", "node", "status", "--home", str(home)],
                                capture_output=True, text=True, cwd=REPO, timeout=60)
        assert "est_reward_per_hour_eth" in status.stdout and "seconds_paused" in status.stdout, status
    finally:
        if load:
            load.stop()
        worker.stop()


def test_claim_paused_past_its_window_is_abandoned_cleanly(chain):
    home, ledger = chain
    job_id = new_job(ledger, home, PAUSABLE)
    worker = WorkerProcess(home, job_id, 7, "--yes", "--max-threads", "1", "--only-when-idle",
                           "--idle-threshold", idle_threshold(), "--idle-grace", "1")
    load = None
    try:
        worker.wait_status(in_claim, 120, "the worker to start a claim")
        load = CpuLoad()
        worker.wait_status(lambda s: s["activity"] == "paused", 30, "the worker to pause")
        mine(ledger, TERMS.submit_window)  # the round's submission window passes while the owner works
        status = worker.wait_status(lambda s: s["claims_abandoned"] == 1, 30, "the claim to be abandoned")
        assert status["activity"] == "waiting" and "window" in status["reason"]
        load.stop()
        load = None
        time.sleep(2.0)  # idle again: still nothing to submit for the closed round
        assert not [e for e in ledger.events(0, names=["ClaimSubmitted"]) if e["args"]["jobId"] == job_id]
        assert not worker.db("select * from outbox where key like 'claim:%'"), "a claim was signed"
        assert worker.db("select * from work_log where event = 'claim-abandoned'")
    finally:
        if load:
            load.stop()
        worker.stop()


def test_a_worker_that_finds_its_round_full_trains_nothing_for_it(chain):
    """A round that holds maxClaimsPerRound claims refuses more (RoundFull): training for it would be wasted."""
    import dataclasses

    from eth_utils import keccak

    from node.chain.v2.views import Role

    home, ledger = chain
    job_id = new_job(ledger, home, terms=dataclasses.replace(TERMS, max_claims_per_round=1))
    other = dev_account(6)
    ledger.send(other, "stake", int(Role.WORKER), value=10**18)
    ledger.send(other, "submitClaim", job_id, 0, ledger.job(job_id).head, keccak(b"first"), keccak(b"root"),
                SPEC.steps_per_claim, "http://127.0.0.1:9/")
    worker = WorkerProcess(home, job_id, 5, "--yes", "--max-threads", "1")
    try:
        status = worker.wait_status(lambda s: s["activity"] == "waiting" and "full" in s["reason"], 120,
                                    "the worker to see the round full")
        assert "1 of 1 claims" in status["reason"], status["reason"]
        time.sleep(1.0)
        assert worker.status()["claim_in_progress"] is None
        assert not worker.db("select * from work_log where event = 'trained'"), "it trained for a full round"
        assert not worker.db("select * from outbox where key like 'claim:%'")
    finally:
        worker.stop()
