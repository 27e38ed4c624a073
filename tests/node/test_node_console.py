"""What a node operator sees (issue 16), on a real network: a worker started on a real pseudo-terminal shows a
live panel (training step i/H, steps/s, ETA) and one line per event (claim submitted, reward credited +X ETH);
nodes whose stdout is a file write the same kind of lines, plain; --log-file gets them too; a worker whose job
has fewer verifier seats than its committee size says what it waits for; /status and `gradchain node status`
report earnings net of gas.

One network for the module (standing it up costs most of the time): the worker starts alone, so it first
stalls on the missing seats; the verifiers and the aggregator join, and its first claim goes through."""
from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest

from node.chain.v2.terms import JobTermsV2
from prover.presets import digits_spec
from pty_session import ANSI, PtySession, plain

from node_network import Network, free_port

pytestmark = pytest.mark.network

# 1,000 steps: a few seconds of training, long enough for the panel to redraw during it. Windows are generous:
# four node processes share two loaded cores.
SPEC = digits_spec(steps_per_claim=1000, checkpoint_every=100)
TERMS = JobTermsV2(committee_size=2, quorum=2, submit_window=480, verify_window=80, challenge_window=6,
                   head_window=6)
STAMP = r"\d\d:\d\d:\d\d "


def pump(session: PtySession, seconds: float) -> None:
    """Keep reading the terminal: a pty nobody reads fills up and blocks the node's writes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        session._read(0.1)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    network = Network(home=tmp_path_factory.mktemp("console"), port=free_port())
    network.start_chain()
    network.deploy_and_create_job(SPEC, TERMS)
    network.create_job()
    network.add("worker", "worker", 1)
    for name, role, index in (("verifier-1", "verifier", 3), ("verifier-2", "verifier", 4),
                              ("aggregator", "aggregator", 5)):
        network.add(name, role, index)
    yield network
    network.stop_all()


@pytest.fixture(scope="module")
def worker(net):
    """The worker, on a real pseudo-terminal, with --log-file."""
    node = net.nodes["worker"]
    log_file = net.home / "logs" / "deep" / "worker-console.log"
    session = PtySession([sys.executable, "-m", "node.cli", "node", "run", "--role", "worker", "--job",
                          str(net.job_id), "--home", str(net.home), "--dev-account", str(node.dev_index),
                          "--port", str(node.port), "--data-dir", str(net.data_dir("worker")),
                          "--poll-interval", "0.2", "--auto-stake", "1", "--yes", "--log-file", str(log_file)])
    session.log_file = log_file
    yield session
    session.interrupt()
    try:
        session.wait(30)
    finally:
        session.close()


def test_a_worker_without_enough_seats_says_what_it_waits_for(net, worker):
    worker.expect(r"waiting: no committee can be drawn for a claim — 0 of 2 seats filled; verifiers must stake "
                  r"≥ 0\.5 ETH to take a seat", timeout_s=110)
    text = plain(worker.output)
    assert re.search(STAMP + r"waiting: no committee", text), "stamped with the local time"
    assert len(re.findall(r"waiting: no committee", text)) == 1, "once a minute at most, not on every tick"
    worker.expect(r"│ waiting for verifier seats: 0 of the 2 a committee needs", timeout_s=5)  # the panel says so
    worker.expect(r"next: submit window of round \d+ closes in \d+ blocks \(~[\d ]+(s|min)", timeout_s=5)


def test_the_terminal_shows_live_training_progress_and_event_lines(net, worker):
    for name in ("verifier-1", "verifier-2", "aggregator"):
        net.start(name)
    worker.expect(r"training claim of round \d+: step \d+/1000 \(\d+%\) · [\d,]+ steps/s · ETA \d+ s", timeout_s=110)
    worker.expect(STAMP + r"claim (\d+) submitted for round \d+ \(1000 steps\)", timeout_s=60)
    worker.expect(STAMP + r"reward credited \+0\.1 ETH for claim \d+", timeout_s=110)
    worker.expect(r"earnings: \+[\d.]+ ETH/hour, \+[\d.]+ ETH/day net of gas \(0\.1 ETH credited, [\d.]+ ETH gas",
                  timeout_s=10)
    text = plain(worker.output)
    assert "\x1b[" in worker.output, "a live panel drawn with terminal escapes"
    assert re.search(STAMP + r"claim \d+ finalized: accepted \(2 approvals\)", text)
    for bad in ("wei", "None", "{'"):
        assert bad not in text, f"{bad!r} on the terminal"


def test_status_reports_earnings_net_of_gas(net, worker):
    node = net.nodes["worker"]
    pump(worker, 0.5)
    details = httpx.get(f"{node.url}/status", timeout=5).json()["details"]
    pump(worker, 0.5)
    net_earnings = details["net_earnings"]
    assert int(net_earnings["credited_wei"]) == TERMS.reward_per_claim
    gas = int(net_earnings["gas_paid_wei"])
    assert gas > 0 and net_earnings["transactions"] >= 2, "the stake and the claim paid gas"
    assert int(net_earnings["net_wei"]) == TERMS.reward_per_claim - gas - int(net_earnings["slashed_wei"])
    assert net_earnings["net_per_day_eth"] == pytest.approx(24 * net_earnings["net_per_hour_eth"])
    assert details["next_window"] and details["current_activity"]
    shown = subprocess.run([sys.executable, "-m", "node.cli", "node", "status", "--url", node.url],
                           capture_output=True, text=True, timeout=60)
    pump(worker, 0.2)
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"net earnings: [+-][\d.]+ ETH/hour, [+-][\d.]+ ETH/day net of gas \(0\.1 ETH credited, "
                     r"[\d.]+ ETH gas, over ", shown.stdout), shown.stdout
    assert "net_wei" not in shown.stdout


def test_nodes_writing_to_a_file_get_plain_lines(net, worker):
    pump(worker, 0.1)
    verifier_log = (net.home / f"verifier-1.{net.nodes['verifier-1'].runs}.log").read_text()
    assert not ANSI.search(verifier_log), "no terminal escapes in a file"
    assert re.search(r"^" + STAMP + r"drawn to the committee of claim \d+ \(position \d\)$", verifier_log, re.M), \
        verifier_log[-3000:]
    assert re.search(r"^" + STAMP + r"approved claim \d+$", verifier_log, re.M)
    assert re.search(r"^" + STAMP + r"approval fee credited \+0\.01 ETH for claim \d+$", verifier_log, re.M)


def test_the_log_file_gets_the_worker_lines(net, worker):
    pump(worker, 0.1)
    logged = worker.log_file.read_text()
    assert not ANSI.search(logged)
    for pattern in (r"waiting: no committee can be drawn", r"claim \d+ submitted for round \d+",
                    r"reward credited \+0\.1 ETH for claim \d+"):
        assert re.search(r"^" + STAMP + pattern, logged, re.M), f"{pattern!r} not in the log file:\n{logged}"


def test_an_unwritable_log_file_is_a_clear_error(net, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run = subprocess.run([sys.executable, "-m", "node.cli", "node", "run", "--role", "worker", "--job", "1",
                          "--home", str(net.home), "--dev-account", "2", "--log-file", str(blocker / "x.log")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert f"--log-file {blocker / 'x.log'}: cannot write there" in run.stderr + run.stdout
