"""`gradchain demo`: a whole network on one laptop, as separate processes sharing only the chain and HTTP.

A devnet, a funded digits job, 3 honest workers, 1 worker that skips training, 3 verifiers and an aggregator,
each a `gradchain node run` process with its own key and port. After the rounds, the report is rebuilt the
way an auditor would: from chain events, and from heads fetched over HTTP and re-hashed.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .api.server import free_port
from .chain.client import Ledger, connect
from .chain.devaccounts import dev_account
from .demo_finalize import finalize_all
from .jobs import WEI_PER_ETH, JobTerms, create_job, save_spec, spec_path

OWNER = 0
HONEST_WORKERS = (1, 2, 3)
CHEATER = 4
VERIFIERS = (5, 6, 7)
AGGREGATOR = 8
BLOCK_TIME_S = 0.25
DEMO_TERMS = JobTerms(submit_window=24, verify_window=40)


@dataclass
class NodeProcess:
    name: str
    role: str
    dev_index: int
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return dev_account(self.dev_index).address

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def plan_nodes(home: Path) -> list[NodeProcess]:
    nodes = [NodeProcess(f"worker-{i}", "worker", idx, free_port(), home / "logs" / f"worker-{i}.log")
             for i, idx in enumerate(HONEST_WORKERS, start=1)]
    nodes.append(NodeProcess("cheater", "worker", CHEATER, free_port(), home / "logs" / "cheater.log"))
    nodes += [NodeProcess(f"verifier-{i}", "verifier", idx, free_port(), home / "logs" / f"verifier-{i}.log")
              for i, idx in enumerate(VERIFIERS, start=1)]
    nodes.append(NodeProcess("aggregator", "aggregator", AGGREGATOR, free_port(), home / "logs" / "aggregator.log"))
    return nodes


def start_node(node: NodeProcess, home: Path, job_id: int, extra_args: tuple[str, ...] = ()) -> None:
    args = [sys.executable, "-m", "node.cli", "node", "run", "--role", node.role, "--job", str(job_id),
            "--home", str(home), "--dev-account", str(node.dev_index), "--port", str(node.port),
            "--data-dir", str(home / "nodes" / node.name), "--poll-interval", "0.25", "--auto-stake", "1", "--yes",
            *extra_args]
    if node.name == "cheater":
        args += ["--cheat", "skip-training"]
    node.log.parent.mkdir(parents=True, exist_ok=True)
    with open(node.log, "wb") as log:
        node.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_until_serving(nodes: list[NodeProcess], timeout_s: float) -> bool:
    """Every node answers /status (or one has died: then False at once)."""
    import httpx

    deadline = time.monotonic() + timeout_s
    waiting = list(nodes)
    while waiting and time.monotonic() < deadline:
        if any(n.process.poll() is not None for n in nodes):
            return False
        still = []
        for node in waiting:
            try:
                httpx.get(f"{node.url}/status", timeout=1).raise_for_status()
            except httpx.HTTPError:
                still.append(node)
        waiting = still
        time.sleep(0.3)
    return not waiting


def stop_nodes(nodes: list[NodeProcess], timeout_s: float = 10.0) -> None:
    for node in nodes:
        if node.process and node.process.poll() is None:
            node.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for node in nodes:
        if node.process:
            try:
                node.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                node.process.kill()


def wait_for_rounds(console, current_round, nodes: list[NodeProcess], rounds: int, timeout_s: float,
                    home: Path) -> bool:
    """A progress bar until `current_round()` reaches `rounds`; False (said why) if a node died or time ran out."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task("rounds finalized", total=rounds)
        deadline = time.monotonic() + timeout_s
        while True:
            current = current_round()
            progress.update(task, completed=min(current, rounds))
            if current >= rounds:
                return True
            dead = [n.name for n in nodes if n.process.poll() is not None]
            if dead:
                console.print(f"[red]node(s) exited early: {', '.join(dead)}; see {home / 'logs'}[/red]")
                return False
            if time.monotonic() > deadline:
                console.print(f"[red]only {current} of {rounds} rounds within {timeout_s:.0f}s; "
                              f"see {home / 'logs'}[/red]")
                return False
            time.sleep(0.5)


def run_demo(home: Path | None, rounds: int, timeout_s: float, console) -> int:
    from . import devnet
    from .demo_report import build_report, check_outcome, print_report

    started = time.monotonic()
    home = Path(home) if home else Path(tempfile.mkdtemp(prefix="gradchain-demo-"))
    console.print(f"[bold]gradchain demo[/bold]: files in {home}")
    deployment = devnet.up(home, port=free_port(), block_time=BLOCK_TIME_S)
    nodes: list[NodeProcess] = []
    try:
        w3 = connect(deployment.rpc_url)
        ledger = Ledger(w3, deployment.address)
        from prover.presets import digits_spec

        spec = digits_spec()
        # The nodes start first and wait for the job, so that round 0's window finds them all ready.
        job_id = ledger.call("counters")[0] + 1
        save_spec(spec_path(home, job_id), spec)
        nodes = plan_nodes(home)
        for node in nodes:
            start_node(node, home, job_id)
        console.print("starting " + ", ".join(f"{n.name} ({n.address[:8]}…, :{n.port})" for n in nodes))
        if not wait_until_serving(nodes, timeout_s=120):
            console.print(f"[red]nodes did not come up; see {home / 'logs'}[/red]")
            return 1
        console.print(f"all {len(nodes)} nodes serving after {time.monotonic() - started:.0f} s")
        job = create_job(ledger, dev_account(OWNER), spec, DEMO_TERMS, 20 * WEI_PER_ETH, home=home)
        console.print(f"devnet {deployment.rpc_url}, ledger {deployment.address}; job {job['job_id']} "
                      f"escrows 20 ETH, genesis head {job['genesis_head'][:18]}…")
        if not wait_for_rounds(console, lambda: ledger.call("getJob", job["job_id"])[4], nodes, rounds, timeout_s,
                               home):
            return 1
        console.print(f"{rounds} rounds done after {time.monotonic() - started:.0f} s")
        # Workers stop first, so no new claim starts; verifiers and the aggregator stay to vote and finalize.
        stop_nodes([n for n in nodes if n.role == "worker"])
        # A claim's voting lasts SEED_DELAY + verify_window blocks; four times that is ample on a busy machine.
        finalized = finalize_all(ledger, dev_account(OWNER), deployment.block, job["job_id"],
                                 timeout_s=4 * (DEMO_TERMS.verify_window + 2) * BLOCK_TIME_S + 10)
        if not finalized.done:
            console.print(f"[red]FAILED: {finalized.text()}; see {home / 'logs'}[/red]")
            return 1
        console.print(finalized.text())
        aggregator = next(n for n in nodes if n.role == "aggregator")
        report = build_report(ledger, deployment.block, job["job_id"], spec, aggregator.url,
                              {n.address: n.name for n in nodes}, rounds)
        stop_nodes(nodes)
        print_report(console, report)
        failures = check_outcome(report, cheater=dev_account(CHEATER).address,
                                 honest=[dev_account(i).address for i in HONEST_WORKERS])
        elapsed = time.monotonic() - started
        if failures:
            for failure in failures:
                console.print(f"[red]FAILED: {failure}[/red]")
            return 1
        console.print(f"[green]demo passed in {elapsed:.0f} s: accuracy rose, the cheater was slashed, "
                      "honest workers were paid[/green]")
        return 0
    finally:
        stop_nodes(nodes)
        devnet.down(home)
