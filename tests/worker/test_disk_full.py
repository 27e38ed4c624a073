"""A worker on a nearly full disk, as a real process on a real chain, its data dir on a small tmpfs.

- too little space for a claim: it stops before training with one line naming the directory, the space a
  claim needs and the space free, and exit status 74 (no traceback, no retry loop); with the space freed and
  the node restarted on the same data dir, it carries on and submits its claim;
- a --max-disk cap smaller than one claim is refused at start, with the size needed, before staking.
"""
from __future__ import annotations

import pytest

from node.chain.devaccounts import dev_account
from node.diskspace import EXIT_DISK_FULL, free_bytes

from test_worker_process import WorkerProcess
from tmpfs import fill, mounted_tmpfs
from worker_chain import deploy, new_job, worker_stake

DISK_BYTES = 4 << 20  # a claim of worker_chain.SPEC is about 1.0 MB, plus a 256 kB margin for node.db
LEFT_FREE = 400_000  # enough to open node.db and stake, not enough for a claim


@pytest.fixture(scope="module")
def chain(anvil, tmp_path_factory):
    home = tmp_path_factory.mktemp("disk-home")
    return home, deploy(anvil.url, home)


def claims_of(ledger, job_id: int, worker: str) -> list[dict]:
    return [e["args"] for e in ledger.events(0, names=["ClaimSubmitted"])
            if e["args"]["jobId"] == job_id and e["args"]["worker"] == worker]


def test_full_disk_stops_the_worker_in_one_line_and_a_restart_with_space_carries_on(chain, tmp_path):
    home, ledger = chain
    job_id = new_job(ledger, home)
    with mounted_tmpfs(tmp_path / "disk", DISK_BYTES) as disk:
        data_dir = disk / "worker"
        filler = fill(disk, LEFT_FREE)
        worker = WorkerProcess(home, job_id, 5, "--yes", "--max-threads", "1", data_dir=data_dir)
        try:
            assert worker.process.wait(180) == EXIT_DISK_FULL, worker.log()[-3000:]
        finally:
            worker.stop()
        log = worker.log()
        assert "Traceback" not in log, log[-3000:]
        (line,) = [line for line in log.splitlines() if "disk full" in line]
        assert line.startswith(f"error: disk full: {data_dir / 'artifacts'} needs ") and " MB more (" in line
        assert line.endswith(" kB free); free some space and restart the node"), line
        assert not claims_of(ledger, job_id, dev_account(5).address)
        assert not list((data_dir / "artifacts").glob("*.safetensors")), "training started on a full disk"

        filler.unlink()
        assert free_bytes(disk) > 3 << 20
        again = WorkerProcess(home, job_id, 5, "--yes", "--max-threads", "1", data_dir=data_dir)
        try:
            again.wait_status(lambda s: s["earnings"]["claims"]["submitted"] == 1, 180, "the claim")
        finally:
            again.stop()
        assert "Traceback" not in again.log()
        (claim,) = claims_of(ledger, job_id, dev_account(5).address)
        assert claim["round"] == 0


def test_a_disk_cap_smaller_than_one_claim_is_refused_at_start(chain):
    home, ledger = chain
    job_id = new_job(ledger, home)
    worker = WorkerProcess(home, job_id, 6, "--yes", "--max-disk", "50kB")
    try:
        assert worker.process.wait(180) == 1, worker.log()[-3000:]
    finally:
        worker.stop()
    log = worker.log()
    assert "Traceback" not in log, log[-3000:]
    (line,) = [line for line in log.splitlines() if "--max-disk" in line]
    # 1,013,280 bytes: (25 kept checkpoints + the result) x 38,480 bytes + 512 bytes per segment of transcript
    assert line == (f"error: --max-disk 50 kB is smaller than one claim of job {job_id} (1.1 MB): "
                    "raise it to at least 1.1 MB"), line
    assert worker_stake(ledger, 6) == 0, "it staked before refusing"
