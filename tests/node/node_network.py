"""A small real network for the node tests: anvil with a state file, the ledger, a job, node processes."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from node.api.server import free_port
from node.chain.anvil import Anvil
from node.chain.client import connect
from node.chain.devaccounts import dev_account
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import LedgerV2
from node.config import Deployment, deployment_path
from node.jobs import create_job, save_spec, spec_path

BLOCK_TIME_S = 0.25
# Two workers, two verifiers and an aggregator, each with its own dev account.
FIVE_NODES = (("worker-1", "worker", 1), ("worker-2", "worker", 2), ("verifier-1", "verifier", 3),
              ("verifier-2", "verifier", 4), ("aggregator", "aggregator", 5))


@dataclass
class NodeProc:
    name: str
    role: str
    dev_index: int
    port: int
    process: subprocess.Popen | None = None
    runs: int = 0
    args: tuple[str, ...] = ()  # passed on every start, restarts included

    @property
    def address(self) -> str:
        return dev_account(self.dev_index).address

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Network:
    home: Path
    port: int
    anvil: Anvil | None = None
    ledger: LedgerV2 | None = None
    deployment: Deployment | None = None
    job_id: int = 0
    spec: object = None
    nodes: dict[str, NodeProc] = field(default_factory=dict)

    # -- chain ------------------------------------------------------------------------------------------------
    def start_chain(self) -> None:
        self.anvil = Anvil(log_path=self.home / "anvil.log", port=self.port, block_time=BLOCK_TIME_S,
                           state_path=self.home / "anvil-state.json")
        self.anvil.start()

    def save_chain_state(self, to: Path) -> int:
        """Copy anvil's state file (dumped every second) as it is now; returns the block it holds."""
        while True:  # the dump may be mid-write: take a copy that parses
            shutil.copyfile(self.anvil.state_path, to)
            try:
                return int(json.loads(to.read_text())["best_block_number"])
            except (ValueError, KeyError):
                time.sleep(0.1)

    def kill_chain_and_restart_from(self, saved: Path) -> None:
        """SIGKILL anvil (no dump on the way out) and restart it from an older state file: a chain gone back."""
        os.killpg(self.anvil.process.pid, signal.SIGKILL)
        self.anvil.process.wait()
        shutil.copyfile(saved, self.anvil.state_path)
        self.anvil.start()

    def deploy_and_create_job(self, spec, terms: JobTermsV2) -> None:
        """Deploy LedgerV2 and save the deployment file and the job's spec (the job is created by create_job)."""
        w3 = connect(self.anvil.url)
        self.ledger, receipt = deploy_ledger_v2(w3, dev_account(0), unbonding_delay_blocks=10,
                                                seat_stake_wei=10**18 // 2)
        self.deployment = Deployment(chain_id=w3.eth.chain_id, address=self.ledger.address,
                                     block=receipt["blockNumber"], rpc_url=self.anvil.url)
        self.deployment.save(deployment_path(self.home))
        self.spec = spec
        self.job_id = 1
        save_spec(spec_path(self.home, self.job_id), spec)
        self._terms = terms

    def create_job(self) -> None:
        created = create_job(self.ledger, dev_account(0), self.spec, self._terms, 10 * 10**18, home=self.home)
        assert created["job_id"] == self.job_id

    # -- nodes ------------------------------------------------------------------------------------------------
    def add(self, name: str, role: str, dev_index: int, args: tuple[str, ...] = ()) -> NodeProc:
        self.nodes[name] = NodeProc(name, role, dev_index, free_port(), args=args)
        return self.nodes[name]

    def start(self, name: str, failpoint: str | None = None, extra_args: tuple[str, ...] = ()) -> NodeProc:
        node = self.nodes[name]
        node.runs += 1
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("GRADCHAIN_FAILPOINT", None)
        if failpoint:
            env["GRADCHAIN_FAILPOINT"] = failpoint
        log = open(self.home / f"{name}.{node.runs}.log", "wb")
        node.process = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "node", "run", "--role", node.role, "--job", str(self.job_id),
             "--home", str(self.home), "--dev-account", str(node.dev_index), "--port", str(node.port),
             "--data-dir", str(self.data_dir(name)), "--poll-interval", "0.2", "--auto-stake", "1", "--yes",
             *node.args, *extra_args],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        return node

    def data_dir(self, name: str) -> Path:
        return self.home / "nodes" / name

    def wait_serving(self, names: list[str], timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        for name in names:
            node = self.nodes[name]
            while True:
                assert node.process.poll() is None, f"{name} exited: {self.log_tail(name)}"
                try:
                    httpx.get(f"{node.url}/status", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, f"{name} never served /status"
                    time.sleep(0.2)

    def crashed(self) -> list[str]:
        """Nodes that exited on their own with a status other than a signal's (a bug, not a test's kill)."""
        return [n.name for n in self.nodes.values()
                if n.process is not None and n.process.poll() is not None and n.process.returncode not in (0, -9, -15)]

    def stop(self, name: str, sig: int = signal.SIGTERM) -> int:
        node = self.nodes[name]
        if node.process and node.process.poll() is None:
            node.process.send_signal(sig)
            try:
                node.process.wait(20)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()
        return node.process.returncode

    def stop_all(self) -> None:
        self.stop_nodes()
        if self.anvil:
            self.anvil.stop()

    def stop_nodes(self) -> None:
        # Signalled all at once: a node finishing a replay before it exits must not hold up the others' exits.
        running = [n.process for n in self.nodes.values() if n.process and n.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + 20
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_tail(self, name: str, lines: int = 30) -> str:
        node = self.nodes[name]
        text = (self.home / f"{name}.{node.runs}.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- chain queries ------------------------------------------------------------------------------------------
    def round(self) -> int:
        return self.ledger.job(self.job_id).round

    def wait_round(self, target: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.round() < target:
            for node in self.nodes.values():
                assert node.process is None or node.process.poll() is None or node.process.returncode in (0, -9, -15), \
                    f"{node.name} crashed: {self.log_tail(node.name)}"
            assert time.monotonic() < deadline, f"round {target} not reached in {timeout_s}s (at {self.round()})"
            time.sleep(0.3)

    def events(self, name: str) -> list:
        return [e for e in self.ledger.events(self.deployment.block) if e["event"] == name]


def five_node_network(home: Path, spec, terms: JobTermsV2, failpoints: dict[str, str] | None = None,
                      relay: bool = False) -> Network:
    """Chain, ledger, the five nodes of FIVE_NODES serving, then the job created (nodes see it appear).
    failpoints: node name -> the crash point it starts with (node/failpoints.py). relay: the verifiers hand
    their signed approvals to the aggregator (--relay)."""
    network = Network(home=home, port=free_port())
    network.start_chain()
    network.deploy_and_create_job(spec, terms)
    for name, role, index in FIVE_NODES:
        network.add(name, role, index)
    for node in network.nodes.values():
        if relay and node.role == "verifier":
            node.args = ("--relay", network.nodes["aggregator"].url)
    for name in network.nodes:
        network.start(name, failpoint=(failpoints or {}).get(name))
    network.wait_serving(list(network.nodes))
    network.create_job()
    return network


def db_rows(net: Network, node: str, sql: str, params=()) -> list[dict]:
    """Read a node's SQLite file while it runs (WAL: readers never block its writer)."""
    conn = sqlite3.connect(net.data_dir(node) / "node.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()
