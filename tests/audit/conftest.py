"""One real network for all audit tests: anvil, the ledger, a job, two workers, two verifiers, an aggregator.

Standing a network up costs most of the time (five processes import torch), so it is shared by the session
and keeps running while the audits read it. Tests that change the ledger for good (the tamper tests) run last.
"""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "node"))  # node_network.py, shared with tests/node

from node.api.server import free_port  # noqa: E402
from node.jobs import JobTerms  # noqa: E402
from prover.presets import digits_spec  # noqa: E402

from node_network import Network  # noqa: E402

ROUNDS = 2
# Short windows at 0.25 s blocks: a round takes a few seconds once the nodes are warm.
TERMS = JobTerms(quorum=2, max_votes=2, submit_window=20, verify_window=40)


AUDIT_DIR = Path(__file__).parent
_running: list[Network] = []


def _in_audit(item) -> bool:
    return AUDIT_DIR in Path(item.path).parents


def pytest_collection_modifyitems(config, items):
    # Tamper tests add a bogus job and alter an artifact for good: every other audit test must see the honest
    # ledger. All audit tests run first and together, so that their network can stop as soon as they are done.
    items.sort(key=lambda item: (0 if _in_audit(item) else 1, item.get_closest_marker("tamper") is not None))


def pytest_runtest_teardown(item, nextitem):
    # The network is session-scoped, but its five polling nodes would load the CPU for the rest of the run
    # (the idle-detection tests measure exactly that): stop it after the last audit test.
    if _in_audit(item) and (nextitem is None or not _in_audit(nextitem)):
        while _running:
            stop_all_at_once(_running.pop())


def pytest_configure(config):
    config.addinivalue_line("markers", "tamper: changes the shared network for good; runs after the others")


@pytest.fixture(scope="session")
def network(tmp_path_factory):
    net = Network(home=tmp_path_factory.mktemp("audit-network"), port=free_port())
    # Workers train only with recorded consent to the job's terms (node/worker_policy); these are test workers.
    (net.home / "worker.toml").write_text("[worker]\nyes = true\n")
    net.start_chain()
    try:
        net.deploy_and_create_job(digits_spec(steps_per_claim=20), TERMS)
        for name, role, index in (("worker-1", "worker", 1), ("worker-2", "worker", 2),
                                  ("verifier-1", "verifier", 3), ("verifier-2", "verifier", 4),
                                  ("aggregator", "aggregator", 5)):
            net.add(name, role, index)
            net.start(name)
        net.wait_serving(list(net.nodes))
        net.create_job()
        net.wait_round(ROUNDS, timeout_s=240)
        # The audit reads up to one block behind the head (node/audit/ingest.py): let the last advance settle.
        reached = net.ledger.w3.eth.block_number
        while net.ledger.w3.eth.block_number < reached + 2:
            time.sleep(0.1)
        _running.append(net)
        yield net
    finally:
        stop_all_at_once(net)


def stop_all_at_once(net: Network) -> None:
    """SIGTERM every node first, then wait: stopping them one by one costs seconds each."""
    for node in net.nodes.values():
        if node.process and node.process.poll() is None:
            node.process.send_signal(signal.SIGTERM)
    net.stop_all()  # waits for each (killing a straggler), then stops anvil
