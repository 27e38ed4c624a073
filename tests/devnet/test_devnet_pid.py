"""`gradchain devnet up/down/status` keep anvil's own pid, and cope with an anvil that was killed, a pid file
that was lost, and a pid file whose pid now belongs to another program (which must never be killed)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from node.api.server import free_port
from waiting import wait_for

REPO = Path(__file__).resolve().parents[2]


def argv(pid: int) -> list[str]:
    try:
        return [a for a in Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0") if a]
    except OSError:
        return []  # gone


def dead(pid: int) -> bool:
    return not argv(pid)  # also true for a zombie, whose cmdline is empty


class Devnet:
    def __init__(self, home: Path):
        self.home = home
        self.port = free_port()
        self.pid_file = home / "devnet" / "anvil.pid"
        self.seen: set[int] = set()  # every anvil pid the test met, for the clean-up

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "node.cli", "devnet", *args, "--home", str(self.home)]
        done = subprocess.run(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                              text=True, timeout=120)
        done.output = done.stdout + done.stderr
        return done

    def up(self) -> dict:
        done = self.cli("up", "--port", str(self.port), "--block-time", "0.2", "--json")
        assert done.returncode == 0, done.output
        self.seen.add(self.pid())
        return json.loads(done.stdout)

    def pid(self) -> int:
        return int(self.pid_file.read_text())

    def status(self) -> dict:
        done = self.cli("status", "--json")
        assert done.returncode == 0, done.output
        return json.loads(done.stdout)

    def is_our_anvil(self, pid: int) -> bool:
        args = argv(pid)
        return bool(args) and Path(args[0]).name == "anvil" and str(self.home / "devnet") in " ".join(args)


@pytest.fixture
def devnet(tmp_path):
    net = Devnet(tmp_path / "home")
    yield net
    for pid in net.seen:  # only processes checked to be this test's anvil, never a reused pid
        if net.is_our_anvil(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def bystander():
    """An unrelated process whose pid a stale pid file will name."""
    process = subprocess.Popen(["sleep", "300"])
    yield process
    process.kill()
    process.wait()


def wait_for_state_dump(net: Devnet, address: str) -> None:
    # --state-interval 1: once the dump holds the ledger's code, a SIGKILL cannot lose the deployment.
    state = net.home / "devnet" / "anvil-state.json"
    wait_for(lambda: state.is_file() and address[2:].lower() in state.read_text().lower(), 10,
             "anvil's state dump to hold the ledger")


def test_pid_file_holds_anvils_own_pid(devnet):
    devnet.up()
    pid = devnet.pid()
    args = argv(pid)
    assert Path(args[0]).name == "anvil", args  # not node running the npm wrapper
    assert args[args.index("--port") + 1] == str(devnet.port), args
    assert devnet.status()["pid"] == pid

    stopped = devnet.cli("down")
    assert stopped.returncode == 0 and "devnet stopped" in stopped.stdout, stopped.output
    wait_for(lambda: dead(pid), 10, f"anvil {pid} to exit after devnet down")
    assert not devnet.pid_file.exists()


def test_up_while_running_names_the_pid_and_devnet_down(devnet):
    devnet.up()
    again = devnet.cli("up", "--port", str(devnet.port))
    assert again.returncode == 1, again.output
    assert f"anvil pid {devnet.pid()}" in again.stderr and "devnet down" in again.stderr, again.output
    assert len(again.stderr.strip().splitlines()) == 1, again.output


def test_after_sigkill_status_says_stopped_and_up_resumes_the_deployment(devnet):
    first = devnet.up()
    wait_for_state_dump(devnet, first["address"])
    pid = devnet.pid()
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: dead(pid), 10, f"anvil {pid} to die")

    text = devnet.cli("status")
    assert text.returncode == 1 and "running: False" in text.stdout, text.output
    assert not devnet.pid_file.exists()  # the stale pid file is gone
    assert devnet.status()["pid"] is None

    second = devnet.up()
    assert (second["address"], second["block"]) == (first["address"], first["block"])  # reused, not redeployed
    new_pid = devnet.pid()
    assert new_pid != pid and Path(argv(new_pid)[0]).name == "anvil"
    assert devnet.status()["running"] is True

    assert "devnet stopped" in devnet.cli("down").stdout
    wait_for(lambda: dead(new_pid), 10, f"anvil {new_pid} to exit")


def test_lost_pid_file_is_recovered_by_status_up_and_down(devnet):
    devnet.up()
    pid = devnet.pid()
    devnet.pid_file.unlink()

    info = devnet.status()
    assert info["running"] is True and info["pid"] == pid  # found by its --state/--port

    devnet.pid_file.unlink()
    again = devnet.cli("up", "--port", str(devnet.port))
    assert again.returncode == 1 and f"already running in {devnet.home} (anvil pid {pid})" in again.stderr, \
        again.output  # not a failure on the busy port

    devnet.pid_file.unlink()
    stopped = devnet.cli("down")
    assert "devnet stopped" in stopped.stdout, stopped.output
    wait_for(lambda: dead(pid), 10, f"anvil {pid} to exit after devnet down")


def test_a_pid_file_naming_another_process_is_stale_and_that_process_is_spared(devnet, bystander):
    devnet.pid_file.parent.mkdir(parents=True)
    devnet.pid_file.write_text(str(bystander.pid))

    info = devnet.status()
    assert info["running"] is False and info["pid"] is None
    assert not devnet.pid_file.exists()

    devnet.pid_file.write_text(str(bystander.pid))
    stopped = devnet.cli("down")
    assert "no devnet was running" in stopped.stdout, stopped.output
    assert bystander.poll() is None  # sleep was not signalled

    devnet.pid_file.write_text(str(bystander.pid))
    devnet.up()
    assert devnet.pid() != bystander.pid and devnet.is_our_anvil(devnet.pid())
    devnet.cli("down")
    assert bystander.poll() is None


def test_up_over_a_retired_v1_deployment_file_keeps_it_aside_and_deploys_ledger_v2(devnet):
    old = {"chain_id": 31337, "address": "0x" + "11" * 20, "block": 1, "rpc_url": "http://127.0.0.1:9",
           "ledger_version": 1}
    devnet.home.mkdir(parents=True)
    (devnet.home / "deployment.json").write_text(json.dumps(old))
    deployed = devnet.up()
    assert deployed["ledger_version"] == 2 and deployed["address"] != old["address"]
    assert json.loads((devnet.home / "deployment.json.v1-retired").read_text()) == old
    assert json.loads((devnet.home / "deployment.json").read_text())["ledger_version"] == 2
    assert "devnet stopped" in devnet.cli("down").stdout
