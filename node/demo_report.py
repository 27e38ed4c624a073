"""The demo's closing tables, rebuilt from chain events and heads fetched over HTTP (as an auditor would)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .chain.client import Ledger
from .chain.enums import ClaimStatus, CreditReason, Role
from .fetch import HttpFetcher
from .wallet.amounts import format_eth



@dataclass
class RoundRow:
    round: int
    head: str  # the head this round trained from
    accepted: int
    rejected: int
    next_head: str | None
    loss: float | None = None  # held-out metrics of next_head (the head the round produced)
    accuracy: float | None = None


@dataclass
class AccountRow:
    name: str
    address: str
    rewards: int = 0
    fees: int = 0
    slash_shares: int = 0
    slashed: int = 0
    stake: int = 0


@dataclass
class Report:
    genesis_loss: float
    genesis_accuracy: float
    rounds: list[RoundRow]
    accounts: list[AccountRow] = field(default_factory=list)


def metrics_of_heads(spec, heads: dict[int, bytes], outcomes: dict[int, list[int]], head_server: str,
                     rounds: int) -> tuple[dict, list[RoundRow]]:
    """Genesis metrics and one row per round: each round's outcome and the held-out metrics of the head it produced,
    fetched from `head_server` and re-hashed (never trusted)."""
    from prover.bounds import max_checkpoint_bytes
    from prover.checkpoint import checkpoint_from_bytes
    from prover.evaluate import evaluate
    from prover.state import genesis

    base = evaluate(spec, genesis(spec))
    rows = []
    with HttpFetcher(head_server) as fetcher:
        for r in range(rounds):
            row = RoundRow(round=r, head=heads[r].hex(), accepted=outcomes[r].count(ClaimStatus.ACCEPTED),
                           rejected=outcomes[r].count(ClaimStatus.REJECTED),
                           next_head=heads.get(r + 1, b"").hex() or None)
            if r + 1 in heads:
                data = fetcher.fetch(heads[r + 1], max_bytes=max_checkpoint_bytes(spec))
                tensors = checkpoint_from_bytes(data, heads[r + 1])  # id re-checked
                metrics = evaluate(spec, tensors)
                row.loss, row.accuracy = metrics["loss"], metrics["accuracy"]
            rows.append(row)
    return base, rows


def tally_accounts(events: list, names: dict[str, str]) -> dict[str, AccountRow]:
    """Rewards, fees, slash shares (Credited, by reason) and slashes per named account. CreditReason's values are
    the same on both ledger versions."""
    accounts = {a: AccountRow(name=n, address=a) for a, n in names.items()}
    for e in events:
        args = e["args"]
        if e["event"] == "Credited" and args["account"] in accounts:
            row = accounts[args["account"]]
            if args["reason"] == CreditReason.REWARD:
                row.rewards += args["amount"]
            elif args["reason"] == CreditReason.FEE:
                row.fees += args["amount"]
            else:
                row.slash_shares += args["amount"]
        elif e["event"] == "Slashed" and args["account"] in accounts:
            accounts[args["account"]].slashed += args["amount"]
    return accounts


def build_report(ledger: Ledger, from_block: int, job_id: int, spec, head_server: str,
                 names: dict[str, str], rounds: int) -> Report:
    events = ledger.events(from_block)
    heads = {e["args"]["round"]: e["args"]["head"] for e in events
             if e["event"] == "RoundStarted" and e["args"]["jobId"] == job_id}
    outcomes: dict[int, list[int]] = defaultdict(list)
    for e in events:
        if e["event"] == "ClaimFinalized" and e["args"]["jobId"] == job_id:
            outcomes[e["args"]["round"]].append(e["args"]["status"])
    base, rows = metrics_of_heads(spec, heads, outcomes, head_server, rounds)
    accounts = tally_accounts(events, names)
    for row in accounts.values():
        role = Role.VERIFIER if row.name.startswith("verifier") else Role.WORKER
        row.stake = ledger.call("stakeOf", row.address, role)[0]
    return Report(genesis_loss=base["loss"], genesis_accuracy=base["accuracy"], rounds=rows,
                  accounts=list(accounts.values()))


def print_report(console, report: Report) -> None:
    print_rounds_and_accounts(console, report)


def print_rounds_and_accounts(console, report) -> None:
    from rich.table import Table

    rounds = Table(title="Rounds (held-out metrics of the head each round produced)")
    for column in ("round", "trained from", "accepted", "rejected", "new head", "loss", "accuracy"):
        rounds.add_column(column)
    rounds.add_row("genesis", "", "", "", "", f"{report.genesis_loss:.3f}", f"{report.genesis_accuracy:.1%}")
    for r in report.rounds:
        rounds.add_row(str(r.round), r.head[:12], str(r.accepted), str(r.rejected), (r.next_head or "-")[:12],
                       f"{r.loss:.3f}" if r.loss is not None else "-",
                       f"{r.accuracy:.1%}" if r.accuracy is not None else "-")
    console.print(rounds)
    accounts = Table(title="Accounts (ETH)")
    for column in ("node", "address", "rewards", "fees", "slash shares", "slashed", "stake now"):
        accounts.add_column(column)
    for a in report.accounts:
        accounts.add_row(a.name, a.address[:10] + "…", format_eth(a.rewards), format_eth(a.fees),
                         format_eth(a.slash_shares), format_eth(a.slashed), format_eth(a.stake))
    console.print(accounts)


def check_outcome(report: Report, cheater: str, honest: list[str]) -> list[str]:
    """What the demo promises; each broken promise is one line."""
    failures = []
    final = [r for r in report.rounds if r.accuracy is not None]
    if not final:
        failures.append("no head advanced")
    elif final[-1].accuracy < report.genesis_accuracy + 0.3:
        failures.append(f"held-out accuracy went from {report.genesis_accuracy:.1%} to {final[-1].accuracy:.1%}, "
                        "not a rise of 30 points")
    by_address = {a.address: a for a in report.accounts}
    if by_address[cheater].slashed == 0:
        failures.append("the cheating worker was not slashed")
    if by_address[cheater].rewards:
        failures.append("the cheating worker was paid")
    for address in honest:
        if by_address[address].rewards == 0:
            failures.append(f"honest worker {by_address[address].name} was not paid")
        if by_address[address].slashed:
            failures.append(f"honest worker {by_address[address].name} was slashed")
    return failures
