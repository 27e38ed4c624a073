"""--schedule, in process: a real Worker on a real chain, with a clock the test sets.

Outside the window nothing trains; when the window closes in the middle of a claim, training stops at the next
segment boundary and waits; when the window opens again it resumes where it stopped, and the claim submitted
at the end verifies.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime

from node.chain.devaccounts import dev_account
from node.jobs import spec_path
from node.roles.runtime import NodeOptions, Runtime
from node.roles.worker import Worker
from node.worker_policy.schedule import Schedule
from node.worker_policy.settings import WorkerSettings
from waiting import wait_for
from verifier.claim import Claim
from verifier.verify import verify_claim

from worker_chain import SPEC, deploy, new_job


class Clock:
    def __init__(self, hhmm: str):
        self.set(hhmm)

    def set(self, hhmm: str) -> None:
        h, m = hhmm.split(":")
        self.now = datetime(2025, 6, 2, int(h), int(m))

    def __call__(self) -> datetime:
        return self.now




def test_schedule_pauses_and_resumes_a_claim(anvil, tmp_path):
    ledger = deploy(anvil.url, tmp_path)
    job_id = new_job(ledger, tmp_path)
    clock = Clock("08:59")
    settings = WorkerSettings(yes=True, schedule=Schedule.parse("09:00-10:00"))
    rt = Runtime(NodeOptions(role="worker", job_id=job_id, spec_file=spec_path(tmp_path, job_id),
                             data_dir=tmp_path / "node", home=tmp_path, account=dev_account(6),
                             auto_stake_wei=10**18, extra={"worker_settings": settings, "clock": clock}))
    worker = Worker(rt)
    rt._await_job()
    worker.start()
    rt.follower.poll()  # the verifier seat a committee needs (roles/worker.py waits for it before training)

    worker.tick()
    status = rt.status_details()
    assert status["activity"] == "paused" and "outside the schedule (09:00-10:00)" in status["reason"]
    assert worker.steps_done == 0 and not list(rt.store.root.glob("*.transcript.json"))

    clock.set("09:00")
    ticking = threading.Thread(target=worker.tick)
    ticking.start()
    wait_for(lambda: (worker.progress or {}).get("segments_done", 0) >= 2, 60, "training to start")
    clock.set("10:00")
    wait_for(lambda: rt.status_details()["activity"] == "paused", 5, "the pause")
    stopped_at = worker.progress["segments_done"]
    assert stopped_at < SPEC.segments_per_claim
    time.sleep(1.0)
    assert worker.progress["segments_done"] == stopped_at, "training went on outside the schedule"
    assert rt.status_details()["earnings"]["seconds_paused"] >= 1.0

    clock.set("09:30")
    ticking.join(60)
    assert not ticking.is_alive()
    row = rt.outbox.status(worker.claim_key(0))
    assert row is not None and row["status"] == "mined"
    assert worker.steps_done == SPEC.steps_per_claim

    (event,) = [e for e in ledger.events(0, names=["ClaimSubmitted"]) if e["args"]["worker"] == rt.address]
    a = event["args"]
    claim = Claim(claim_id=a["claimId"], worker=a["worker"], round=a["round"], base=a["base"], result=a["result"],
                  transcript_root=a["transcriptRoot"], steps=a["steps"], job_key=rt.job_key)
    verdict = verify_claim(SPEC, claim, a["base"], b"\x01" * 32, dev_account(9).address,
                           lambda cid: rt.store.get(cid)[0] if rt.store.has(cid) or worker.regenerate_missing(cid.hex())
                           else b"", every_segment=True)
    assert verdict.decision == "approve", verdict
