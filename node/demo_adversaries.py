"""`gradchain demo --adversaries`: the whole cast of rational adversaries against an honest network, and a job owner's
sentinel (PROTOCOL.md v2 §2, §8, §10); it prints who gained and who lost, in ETH held (balance, stakes, credits).

Honest: 2 workers, 4 verifiers, an aggregator. Adversaries: a worker that skips training with a colluding verifier
that approves its claims (--partner), a worker that fakes and withholds, a junk-claim spammer, a lazy verifier, a
griefing challenger, a bogus-head aggregator. The sentinel plants faults under 2 identities of its own.

It exits non-zero unless no fake reached a head, every adversary that got to cheat (a colluder counted with its
partner) ended poorer, griefing cost the griefer on the claims it griefed (it is an honest juror otherwise, and
juries pay well where fakes abound), and every honest worker and verifier ended richer.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from .chain.devaccounts import dev_account
from .chain.v2.terms import JobTermsV2
from .chain.v2.views import ClaimStatus
from .demo import (BLOCK_TIME_S, OWNER, NodeProcess, finalize_job, start_node, stop_nodes, wait_for_rounds,
                   wait_until_serving)
from .incentives import holdings, net_by_claim
from .jobs import WEI_PER_ETH, create_job, save_spec, spec_path
from .wallet.amounts import format_eth

# Windows sized for 16 processes on 2 cores (as tests/node/test_v2_network.py's).
TERMS = JobTermsV2(submit_window=28, verify_window=64, challenge_window=14, jury_size=3, commit_window=12,
                   reveal_window=24, head_window=16)
SENTINEL_RATE = "0.3"  # with 2 identities and ~5 other claims a round: each identity plants in every round
PLANTED = (16, 17)
# name, role, dev account, args (the cheater's --cheat skip-training is added by demo.start_node)
CAST = (("worker-1", "worker", 1, ()), ("worker-2", "worker", 2, ()), ("cheater", "worker", 3, ()),
        ("withholder", "worker", 4, ("--cheat", "fake-withhold")), ("spammer", "worker", 12, ("--cheat", "junk")),
        *((f"verifier-{i}", "verifier", 4 + i, ()) for i in range(1, 5)),
        ("colluder", "verifier", 9, ("--cheat", "collude", "--partner", dev_account(3).address)),
        ("lazy", "verifier", 10, ("--cheat", "lazy")), ("griefer", "verifier", 13, ("--cheat", "grief")),
        ("aggregator", "aggregator", 11, ()), ("bogus-aggregator", "aggregator", 14, ("--cheat", "bogus-head")),
        ("sentinel", "sentinel", 15, ("--rate", SENTINEL_RATE,
                                      *(a for i in PLANTED for a in ("--planted-dev-account", str(i))))))
HONEST = {"worker-1", "worker-2", "verifier-1", "verifier-2", "verifier-3", "verifier-4"}
# Who stands or falls together: a colluder with the worker it covers.
COALITIONS = (("cheater", "colluder"), ("withholder",), ("spammer",), ("lazy",), ("griefer",), ("bogus-aggregator",))
FAKERS = ("cheater", "withholder", "spammer")


def run_adversaries_demo(home: Path | None, rounds: int, timeout_s: float, console) -> int:
    from . import devnet
    from .wallet.session import open_ledger
    from prover.presets import digits_spec

    started = time.monotonic()
    home = Path(home) if home else Path(tempfile.mkdtemp(prefix="gradchain-adversaries-"))
    console.print(f"[bold]gradchain demo --adversaries[/bold]: files in {home}")
    deployment = devnet.up(home, port=_free_port(), block_time=BLOCK_TIME_S)
    nodes: list[NodeProcess] = []
    try:
        ledger = open_ledger(home).ledger
        spec, job_id = digits_spec(), 1
        save_spec(spec_path(home, job_id), spec)
        nodes = [NodeProcess(name, role, index, _free_port(), home / "logs" / f"{name}.log")
                 for name, role, index, _ in CAST]
        accounts = {n.name: n.address for n in nodes} | {f"planted-{i}": dev_account(i).address for i in PLANTED}
        start = {name: holdings(ledger, a) for name, a in accounts.items()}
        for node, (_, role, _, args) in zip(nodes, CAST):
            start_node(node, home, job_id, ("--until-round", str(rounds), *args) if role == "worker" else args)
        if not wait_until_serving(nodes, timeout_s=240):
            console.print(f"[red]nodes did not come up; see {home / 'logs'}[/red]")
            return 1
        create_job(ledger, dev_account(OWNER), spec, TERMS, 20 * WEI_PER_ETH, home=home)
        console.print(f"{len(nodes)} nodes serving; job {job_id} escrows 20 ETH; sentinel rate {SENTINEL_RATE}")
        if not wait_for_rounds(console, lambda: ledger.job(job_id).round, nodes, rounds, timeout_s, home):
            return 1
        finalized = finalize_job(ledger, deployment.block, job_id, TERMS)
        stop_nodes(nodes)
        if not finalized.done:
            console.print(f"[red]FAILED: {finalized.text()}; see {home / 'logs'}[/red]")
            return 1
        change = {name: holdings(ledger, a) - start[name] for name, a in accounts.items()}
        failures, griefing = judge(ledger, deployment.block, accounts, change)
        print_gains(console, change)
        if griefing["griefed_claims"]:
            console.print(f"griefer: {griefing['griefing_net_wei'] / WEI_PER_ETH:+.4f} ETH on the "
                          f"{griefing['griefed_claims']} sound claims it challenged (the rest of its change is "
                          "jury duty, honestly done)")
        planted = sum(change[f"planted-{i}"] for i in PLANTED) + change["sentinel"]
        console.print(f"the sentinel's cost to its owner: {-planted / WEI_PER_ETH:.4f} ETH in all")
        for failure in failures:
            console.print(f"[red]FAILED: {failure}[/red]")
        if not failures:
            console.print(f"[green]passed in {time.monotonic() - started:.0f} s: every adversary that cheated "
                          "lost, the honest gained, no fake reached a head[/green]")
        return 1 if failures else 0
    finally:
        stop_nodes(nodes)
        devnet.down(home)


def judge(ledger, from_block: int, accounts: dict[str, str], change: dict[str, int]) -> list[str]:
    events = ledger.events(from_block)
    by = {a: n for n, a in accounts.items()}
    final = {e["args"]["claimId"]: e["args"]["status"] for e in events if e["event"] == "ClaimFinalized"}
    submitted = {e["args"]["claimId"]: by.get(e["args"]["worker"], "?") for e in events
                 if e["event"] == "ClaimSubmitted"}
    fakes = {c for c, who in submitted.items() if who in FAKERS or who.startswith("planted")}
    rejected = {c for c, s in final.items() if s == ClaimStatus.REJECTED}
    cheated = {submitted[c] for c in fakes if not submitted[c].startswith("planted")}
    cheated |= {by.get(e["args"]["member"]) for e in events if e["event"] == "Approved" and e["args"]["claimId"]
                in rejected}
    cheated |= {by.get(e["args"]["challenger"]) for e in events if e["event"] == "Challenged"
                and by.get(e["args"]["challenger"]) == "griefer"}
    cheated |= {by.get(e["args"]["proposer"]) for e in events if e["event"] == "HeadProposed"
                and by.get(e["args"]["proposer"]) == "bogus-aggregator" and e["args"]["newHead"] != e["args"]["parent"]}
    failures = [f"fake claim {c} of {submitted[c]} was accepted" for c in sorted(fakes)
                if final.get(c) == ClaimStatus.ACCEPTED]
    # The griefer is an honest juror, and in a network this full of fakes an honest juror earns well: what its
    # griefing costs is measured on the sound claims it challenged, claim by claim.
    griefed = {e["args"]["claimId"] for e in events if e["event"] == "Challenged"
               and by.get(e["args"]["challenger"]) == "griefer" and final.get(e["args"]["claimId"]) is not None}
    on_griefed = sum(net_by_claim(events).get(accounts["griefer"], {}).get(c, 0) for c in griefed)
    if griefed and on_griefed >= 0:
        failures.append(f"griefing {len(griefed)} sound claims cost the griefer nothing ({format_eth(on_griefed)})")
    for coalition in COALITIONS:
        if coalition == ("griefer",):
            continue
        if cheated & set(coalition) and sum(change[n] for n in coalition) >= 0:
            lost = format_eth(sum(change[n] for n in coalition))
            failures.append(f"{' + '.join(coalition)} cheated and did not lose ({lost})")
    failures += [f"{n} is honest and did not gain ({format_eth(change[n])})" for n in sorted(HONEST) if change[n] <= 0]
    return failures, {"griefed_claims": len(griefed), "griefing_net_wei": on_griefed}


def print_gains(console, change: dict[str, int]) -> None:
    from rich.table import Table

    table = Table(title="who gained and who lost (ETH held: balance, stakes, credits; gas included)")
    table.add_column("node")
    table.add_column("change", justify="right")
    table.add_column("")
    for name, delta in sorted(change.items(), key=lambda kv: kv[1]):
        kind = "honest" if name in HONEST else "sentinel" if name.startswith(("sentinel", "planted")) else \
            "aggregator" if name == "aggregator" else "adversary"
        table.add_row(name, f"{delta / WEI_PER_ETH:+.4f} ETH", kind)
    console.print(table)


def _free_port() -> int:
    from .api.server import free_port

    return free_port()
