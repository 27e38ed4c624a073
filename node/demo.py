"""`gradchain demo`: a whole network on one laptop, on LedgerV2 (PROTOCOL.md v2). A devnet, a funded digits job,
3 honest workers, 1 worker that skips training, 6 verifiers of which 2 collude with the cheater (they approve
whatever they are drawn for and, as jurors, find nothing faulty), and an aggregator; each a `gradchain node run`
process with its own key and port, sharing only the chain and HTTP.

It exits non-zero unless accuracy rose, the cheater and every colluder that approved its fraud were slashed,
honest workers and honest verifiers were paid and never slashed, and no claim of the cheater reached a head.

Before the report, every claim submitted to the job is finalized, by the nodes or, once it is due and no node
did it, by the demo itself (anyone may call finalizeClaim and resolveDispute): a claim left Pending would keep
its worker's bond locked and its reward reserved, and the report would count it nowhere. The report is rebuilt
the way an auditor would: from chain events, and from heads fetched over HTTP and re-hashed.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount

from . import cpu_split
from .api.server import free_port
from .chain.devaccounts import dev_account
from .chain.errors import ContractRevert
from .chain.v2 import rules
from .chain.v2.terms import JobTermsV2
from .chain.v2.views import ClaimStatus, DisputeStatus, LedgerV2
from .jobs import WEI_PER_ETH, create_job, save_spec, spec_path

OWNER = 0
N_COLLUDERS = 2


@dataclass(frozen=True)
class Cast:
    """Dev account indices of the demo's nodes: `workers` honest workers and a cheater, `verifiers` verifiers of
    which N_COLLUDERS collude with the cheater, and an aggregator (default 3 and 6: the README's demo)."""

    honest_workers: tuple[int, ...]
    cheater: int
    honest_verifiers: tuple[int, ...]
    colluders: tuple[int, ...]
    aggregator: int

    @classmethod
    def of(cls, workers: int = 3, verifiers: int = 6) -> "Cast":
        if workers < 1 or verifiers < N_COLLUDERS + 3:
            raise ValueError(f"--workers must be at least 1 and --verifiers at least {N_COLLUDERS + 3} (a committee "
                             f"of 3 honest seats beside the {N_COLLUDERS} colluders), got {workers} and {verifiers}")
        n = iter(range(1, 1 + workers + 1 + verifiers + 1))
        cast = cls(tuple(next(n) for _ in range(workers)), next(n),
                   tuple(next(n) for _ in range(verifiers - N_COLLUDERS)), tuple(next(n) for _ in range(N_COLLUDERS)),
                   next(n))
        from .chain.devaccounts import ANVIL_ACCOUNT_COUNT

        if cast.aggregator >= ANVIL_ACCOUNT_COUNT:
            raise ValueError(f"--workers {workers} --verifiers {verifiers} needs {cast.aggregator + 1} dev accounts; "
                             f"the devnet has {ANVIL_ACCOUNT_COUNT}")
        return cast
# Blocks of 0.25 s. A member replays about 1 s per claim and may be drawn for several claims of a round at once.
# Juries of 5: with 6 seats and one challenger, every non-party is drawn, so the 2 colluders are always outvoted.
BLOCK_TIME_S = 0.25
DEMO_TERMS = JobTermsV2(submit_window=20, verify_window=20, challenge_window=12, jury_size=5, commit_window=12,
                        reveal_window=8, head_window=8)


def demo_terms(cast: Cast) -> JobTermsV2:
    """DEMO_TERMS, with verify and challenge windows that grow with the claims each verifier is drawn for in a
    round (about 1 s of replay each on 2 cores): 13 claims on 8 verifiers missed 5-second windows (measured)."""
    workers, verifiers = len(cast.honest_workers) + 1, len(cast.honest_verifiers) + len(cast.colluders)
    load = -(-workers * DEMO_TERMS.committee_size // verifiers)  # ceil: claims per verifier per round
    return dataclasses.replace(DEMO_TERMS, verify_window=max(DEMO_TERMS.verify_window, 10 * load),
                               challenge_window=max(DEMO_TERMS.challenge_window, 4 * load))


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


def start_node(node: NodeProcess, home: Path, job_id: int, extra_args: tuple[str, ...] = ()) -> None:
    args = [sys.executable, "-m", "node.cli", "node", "run", "--role", node.role, "--job", str(job_id),
            "--home", str(home), "--dev-account", str(node.dev_index), "--port", str(node.port),
            "--data-dir", str(home / "nodes" / node.name), "--poll-interval", "0.25", "--auto-stake",
            # The cheater's stake covers a slashed claim bond (0.5 ETH) in each of 3 rounds, so that it claims in
            # every round: with 2, no colluder was on either of its committees 4% of the time, and the demo had
            # nothing to show.
            "2" if node.name == "cheater" else "1", "--yes",
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


def plan_nodes(home: Path, cast: Cast) -> list[NodeProcess]:
    def node(name: str, role: str, index: int) -> NodeProcess:
        return NodeProcess(name, role, index, free_port(), home / "logs" / f"{name}.log")

    nodes = [node(f"worker-{i}", "worker", idx) for i, idx in enumerate(cast.honest_workers, start=1)]
    nodes.append(node("cheater", "worker", cast.cheater))
    nodes += [node(f"verifier-{i}", "verifier", idx) for i, idx in enumerate(cast.honest_verifiers, start=1)]
    nodes += [node(f"colluder-{i}", "verifier", idx) for i, idx in enumerate(cast.colluders, start=1)]
    nodes.append(node("aggregator", "aggregator", cast.aggregator))
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


def run_demo(home: Path | None, rounds: int, timeout_s: float, console, workers: int = 3, verifiers: int = 6) -> int:
    from . import devnet
    from .demo_report import build_report, check_outcome, print_report
    from .wallet.session import open_ledger

    cast = Cast.of(workers, verifiers)
    started = time.monotonic()
    home = Path(home) if home else Path(tempfile.mkdtemp(prefix="gradchain-demo-"))
    console.print(f"[bold]gradchain demo[/bold]: files in {home}")
    deployment = devnet.up(home, port=free_port(), block_time=BLOCK_TIME_S)
    nodes: list[NodeProcess] = []
    try:
        ledger = open_ledger(home).ledger
        from prover.presets import digits_spec

        spec = digits_spec()
        job_id = 1  # a fresh devnet's first job; the nodes start first and wait for it
        save_spec(spec_path(home, job_id), spec)
        nodes = plan_nodes(home, cast)
        for node in nodes:
            start_node(node, home, job_id, node_args(node, nodes, rounds))
        console.print("starting " + ", ".join(f"{n.name} ({n.address[:8]}…, :{n.port})" for n in nodes))
        if not wait_until_serving(nodes, timeout_s=120):
            console.print(f"[red]nodes did not come up; see {home / 'logs'}[/red]")
            return 1
        console.print(f"all {len(nodes)} nodes serving after {time.monotonic() - started:.0f} s")
        terms = demo_terms(cast)
        job = create_job(ledger, dev_account(OWNER), spec, terms, 20 * WEI_PER_ETH, home=home)
        assert job["job_id"] == job_id, job
        console.print(f"devnet {deployment.rpc_url}, ledger v2 {deployment.address}; job {job_id} escrows 20 ETH, "
                      f"committees of {terms.committee_size}, juries of {terms.jury_size}, verify window {terms.verify_window} "
                      f"blocks")
        cpu_at_start = cpu_split.sample(nodes, home)
        if not wait_for_rounds(console, lambda: ledger.job(job_id).round, nodes, rounds, timeout_s, home):
            return 1
        console.print(f"{rounds} rounds done after {time.monotonic() - started:.0f} s")
        cpu_split.print_split(console, cpu_at_start, cpu_split.sample(nodes, home), len(nodes))
        finalized = finalize_job(ledger, deployment.block, job_id, terms)
        if not finalized.done:
            console.print(f"[red]FAILED: {finalized.text()}; see {home / 'logs'}[/red]")
            return 1
        console.print(finalized.text())
        aggregator = next(n for n in nodes if n.role == "aggregator")
        names = {n.address: n.name for n in nodes}
        report = build_report(ledger, deployment.block, job_id, spec, aggregator.url, names, rounds)
        stop_nodes(nodes)
        from .chain.v2.gas_receipts import gas_per_accepted_claim

        gas = gas_per_accepted_claim(ledger, deployment.block, job_id)
        print_report(console, report)
        per = gas["gas_per_accepted_claim"]
        console.print(f"gas, from this run's receipts: {per:,.0f} per accepted claim on the settlement path "
                      f"({gas['accepted_claims']} accepted; submit, approvals, finalization, heads; disputes "
                      f"{gas['groups'].get('disputes', 0):,} more in all)" if per else "gas: no accepted claim")
        sent = sum(f["txs"] for f in gas["functions"].values())
        reverted = sum(f["reverted"] for f in gas["functions"].values())
        console.print(f"transactions: {sent} sent to the ledger, {reverted} reverted on chain (lost races), "
                      f"{100 * reverted / max(sent, 1):.1f}%")
        failures = check_outcome(report, cheater=dev_account(cast.cheater).address,
                                 honest_workers=[dev_account(i).address for i in cast.honest_workers],
                                 honest_verifiers=[dev_account(i).address for i in cast.honest_verifiers],
                                 colluders=[dev_account(i).address for i in cast.colluders])
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


def finalize_job(ledger: LedgerV2, from_block: int, job_id: int, terms: JobTermsV2) -> "Finalization":
    """finalize_all with time for the slowest claim: its windows, and a dispute with one jury redrawn."""
    t = terms
    settle_blocks = 2 + t.verify_window + t.challenge_window + 2 * (2 + t.commit_window + t.reveal_window)
    return finalize_all(ledger, dev_account(OWNER), from_block, job_id, timeout_s=3 * settle_blocks * BLOCK_TIME_S + 10)


@dataclass
class Finalization:
    submitted: int = 0  # ClaimSubmitted events of the job
    by_us: int = 0  # finalizeClaim calls this helper made
    pending: list[int] = field(default_factory=list)  # claim ids still not finalized when it gave up

    @property
    def done(self) -> bool:
        return not self.pending

    def text(self) -> str:
        if self.done:
            return f"all {self.submitted} claims finalized ({self.by_us} by the demo)"
        return (f"{len(self.pending)} of {self.submitted} claims not finalized "
                f"(claim ids {', '.join(map(str, self.pending))})")


def _unfinalized(ledger: LedgerV2, from_block: int, job_id: int) -> tuple[list[int], int]:
    events = ledger.events(from_block, names=["ClaimSubmitted", "ClaimFinalized"])
    submitted = [e["args"]["claimId"] for e in events
                 if e["event"] == "ClaimSubmitted" and e["args"]["jobId"] == job_id]
    finalized = {e["args"]["claimId"] for e in events
                 if e["event"] == "ClaimFinalized" and e["args"]["jobId"] == job_id}
    return [c for c in submitted if c not in finalized], len(submitted)


def finalize_all(ledger: LedgerV2, account: LocalAccount, from_block: int, job_id: int, timeout_s: float,
                 poll_s: float = 0.5) -> Finalization:
    """Wait until every ClaimSubmitted of `job_id` has a ClaimFinalized: due claims are finalized, and disputes
    past their reveal window resolved, by us when no node did it (anyone may call both)."""
    params = ledger.job_params(job_id)
    result = Finalization()
    deadline = time.monotonic() + timeout_s
    while True:
        pending, result.submitted = _unfinalized(ledger, from_block, job_id)
        result.pending = pending
        if not pending or time.monotonic() > deadline:
            return result
        block = ledger.w3.eth.block_number
        for claim_id in pending:
            c = ledger.claim(claim_id)
            if c.status != ClaimStatus.PENDING:
                continue
            dispute = ledger.dispute(c.dispute_id) if c.dispute_id else None
            if dispute is not None and dispute.status == DisputeStatus.OPEN:
                if rules.resolve_allowed(block, dispute.jury_seed_block, params.commit_window, params.reveal_window):
                    _send_unless_raced(ledger, account, "resolveDispute", c.dispute_id,
                                       done=lambda: ledger.dispute(c.dispute_id).status != DisputeStatus.OPEN)
                continue
            if rules.finalize_allowed(block, c.seed_block, params.verify_window, params.challenge_window):
                if _send_unless_raced(ledger, account, "finalizeClaim", claim_id,
                                      done=lambda: ledger.claim(claim_id).status != ClaimStatus.PENDING):
                    result.by_us += 1
        time.sleep(poll_s)


def _send_unless_raced(ledger, account: LocalAccount, function: str, subject: int, done) -> bool:
    """Send; a revert because a node did it first (in this block or before) is not an error."""
    try:
        ledger.send(account, function, subject)
        return True
    except ContractRevert:
        if not done():
            raise
        return False
