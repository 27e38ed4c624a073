"""`gradchain demo` on LedgerV2: 3 honest workers, 1 worker that skips training, 6 verifiers of which 2 collude
with the cheater (they approve whatever they are drawn for and, as jurors, find nothing faulty), and an
aggregator; each a `gradchain node run` process with its own key and port, sharing only the chain and HTTP.

It exits non-zero unless accuracy rose, the cheater and every colluder that approved its fraud were slashed,
honest workers and honest verifiers were paid and never slashed, and no claim of the cheater reached a head.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from .api.server import free_port
from .chain.devaccounts import dev_account
from .chain.v2.terms import JobTermsV2
from .demo import BLOCK_TIME_S, NodeProcess, start_node, stop_nodes, wait_for_rounds, wait_until_serving
from .jobs import WEI_PER_ETH, create_job, save_spec, spec_path

OWNER = 0
HONEST_WORKERS = (1, 2, 3)
CHEATER = 4
HONEST_VERIFIERS = (5, 6, 7, 8)
COLLUDERS = (9, 10)
AGGREGATOR = 11
# Blocks of 0.25 s. A member replays about 1 s per claim and may be drawn for several claims of a round at once.
# Juries of 5: with 6 seats and one challenger, every non-party is drawn, so the 2 colluders are always outvoted.
DEMO_TERMS_V2 = JobTermsV2(submit_window=20, verify_window=20, challenge_window=12, jury_size=5, commit_window=12,
                           reveal_window=8, head_window=8)


def plan_nodes(home: Path) -> list[NodeProcess]:
    def node(name: str, role: str, index: int) -> NodeProcess:
        return NodeProcess(name, role, index, free_port(), home / "logs" / f"{name}.log")

    nodes = [node(f"worker-{i}", "worker", idx) for i, idx in enumerate(HONEST_WORKERS, start=1)]
    nodes.append(node("cheater", "worker", CHEATER))
    nodes += [node(f"verifier-{i}", "verifier", idx) for i, idx in enumerate(HONEST_VERIFIERS, start=1)]
    nodes += [node(f"colluder-{i}", "verifier", idx) for i, idx in enumerate(COLLUDERS, start=1)]
    nodes.append(node("aggregator", "aggregator", AGGREGATOR))
    return nodes


def node_args(node: NodeProcess, nodes: list[NodeProcess], rounds: int) -> tuple[str, ...]:
    if node.role == "worker":  # they keep serving their evidence until every claim is settled
        return ("--until-round", str(rounds))
    if node.name.startswith("colluder"):
        return ("--cheat", "collude")
    if node.role == "aggregator":  # approvers keep copies of the results they approved
        return tuple(a for n in nodes if n.role == "verifier" for a in ("--peer", n.url))
    # Honest members hand their signed approvals to the aggregator: one approveBatch for a round's approvals.
    return ("--relay", next(n.url for n in nodes if n.role == "aggregator"))


def run_demo_v2(home: Path | None, rounds: int, timeout_s: float, console) -> int:
    from . import devnet
    from .demo_report_v2 import build_report_v2, check_outcome_v2, print_report_v2
    from .demo_finalize import finalize_all_v2
    from .wallet.session import open_ledger

    started = time.monotonic()
    home = Path(home) if home else Path(tempfile.mkdtemp(prefix="gradchain-demo-"))
    console.print(f"[bold]gradchain demo[/bold] (ledger v2): files in {home}")
    deployment = devnet.up(home, port=free_port(), block_time=BLOCK_TIME_S, ledger_version=2)
    nodes: list[NodeProcess] = []
    try:
        ledger = open_ledger(home).ledger
        from prover.presets import digits_spec

        spec = digits_spec()
        job_id = 1  # a fresh devnet's first job; the nodes start first and wait for it
        save_spec(spec_path(home, job_id), spec)
        nodes = plan_nodes(home)
        for node in nodes:
            start_node(node, home, job_id, node_args(node, nodes, rounds))
        console.print("starting " + ", ".join(f"{n.name} ({n.address[:8]}…, :{n.port})" for n in nodes))
        if not wait_until_serving(nodes, timeout_s=120):
            console.print(f"[red]nodes did not come up; see {home / 'logs'}[/red]")
            return 1
        console.print(f"all {len(nodes)} nodes serving after {time.monotonic() - started:.0f} s")
        job = create_job(ledger, dev_account(OWNER), spec, DEMO_TERMS_V2, 20 * WEI_PER_ETH, home=home)
        assert job["job_id"] == job_id, job
        console.print(f"devnet {deployment.rpc_url}, ledger v2 {deployment.address}; job {job_id} escrows 20 ETH, "
                      f"committees of {DEMO_TERMS_V2.committee_size}, juries of {DEMO_TERMS_V2.jury_size}")
        if not wait_for_rounds(console, lambda: ledger.job(job_id).round, nodes, rounds, timeout_s, home):
            return 1
        console.print(f"{rounds} rounds done after {time.monotonic() - started:.0f} s")
        t = DEMO_TERMS_V2
        settle_blocks = 2 + t.verify_window + t.challenge_window + 2 * (2 + t.commit_window + t.reveal_window)
        finalized = finalize_all_v2(ledger, dev_account(OWNER), deployment.block, job_id,
                                    timeout_s=3 * settle_blocks * BLOCK_TIME_S + 10)
        if not finalized.done:
            console.print(f"[red]FAILED: {finalized.text()}; see {home / 'logs'}[/red]")
            return 1
        console.print(finalized.text())
        aggregator = next(n for n in nodes if n.role == "aggregator")
        names = {n.address: n.name for n in nodes}
        report = build_report_v2(ledger, deployment.block, job_id, spec, aggregator.url, names, rounds)
        stop_nodes(nodes)
        from .chain.v2.gas_receipts import gas_per_accepted_claim

        gas = gas_per_accepted_claim(ledger, deployment.block, job_id)
        print_report_v2(console, report)
        per = gas["gas_per_accepted_claim"]
        console.print(f"gas, from this run's receipts: {per:,.0f} per accepted claim on the settlement path "
                      f"({gas['accepted_claims']} accepted; submit, approvals, finalization, heads; disputes "
                      f"{gas['groups'].get('disputes', 0):,} more in all)" if per else "gas: no accepted claim")
        failures = check_outcome_v2(report, cheater=dev_account(CHEATER).address,
                                    honest_workers=[dev_account(i).address for i in HONEST_WORKERS],
                                    honest_verifiers=[dev_account(i).address for i in HONEST_VERIFIERS],
                                    colluders=[dev_account(i).address for i in COLLUDERS])
        elapsed = time.monotonic() - started
        if failures:
            for failure in failures:
                console.print(f"[red]FAILED: {failure}[/red]")
            return 1
        console.print(f"[green]demo passed in {elapsed:.0f} s: accuracy rose, the cheater and the colluders that "
                      "approved it were slashed by juries, honest workers and verifiers were paid, no fake reached "
                      "a head[/green]")
        return 0
    finally:
        stop_nodes(nodes)
        devnet.down(home)
