"""The demo's closing tables, rebuilt from chain events and heads fetched over HTTP (as an auditor would):
rounds and held-out metrics, each claim's committee and outcome, each dispute's challengers, jury and verdict,
and what every account earned and lost."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .chain.v2.views import ClaimStatus, CreditReason, DisputeKind, DisputeStatus, Role, SlashReason
from .events_v2 import label
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
class ClaimRow:
    claim_id: int
    round: int
    worker: str
    committee: list[str]
    approvers: list[str]
    status: str


@dataclass
class DisputeRow:
    dispute_id: int
    kind: str
    subject: int
    challengers: list[str]
    jury: list[str]
    verdicts: dict[str, int]
    segments: list[int]
    faulty_mask: int
    status: str


@dataclass
class Report:
    genesis_loss: float
    genesis_accuracy: float
    rounds: list[RoundRow]
    claims: list[ClaimRow] = field(default_factory=list)
    disputes: list[DisputeRow] = field(default_factory=list)
    accounts: list[AccountRow] = field(default_factory=list)
    slashes: list[tuple[str, str, int, int]] = field(default_factory=list)  # name, reason, subject, wei
    heads_from: dict[int, list[int]] = field(default_factory=dict)  # round -> accepted claim ids averaged


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
    """Rewards, fees, slash shares (Credited, by reason) and slashes per named account."""
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


def build_report(ledger, from_block: int, job_id: int, spec, head_server: str, names: dict[str, str],
                 rounds: int) -> Report:
    events = ledger.events(from_block)
    name = lambda a: names.get(a, a[:10])  # noqa: E731
    heads = {e["args"]["round"]: e["args"]["head"] for e in events
             if e["event"] == "RoundStarted" and e["args"]["jobId"] == job_id}
    outcomes: dict[int, list[int]] = defaultdict(list)
    accepted_in: dict[int, list[int]] = defaultdict(list)
    for e in events:
        if e["event"] == "ClaimFinalized" and e["args"]["jobId"] == job_id:
            outcomes[e["args"]["round"]].append(e["args"]["status"])
            if e["args"]["status"] == ClaimStatus.ACCEPTED:
                accepted_in[e["args"]["round"]].append(e["args"]["claimId"])
    genesis, rows = metrics_of_heads(spec, heads, outcomes, head_server, rounds)
    seats = {e["args"]["seatIndex"]: e["args"]["account"] for e in events if e["event"] == "SeatRegistered"}
    approvals: dict[int, list[str]] = defaultdict(list)
    for e in events:
        if e["event"] == "Approved":
            approvals[e["args"]["claimId"]].append(name(e["args"]["member"]))
    claims = []
    for e in events:
        if e["event"] != "ClaimSubmitted" or e["args"]["jobId"] != job_id:
            continue
        claim_id = e["args"]["claimId"]
        c = ledger.claim(claim_id)
        claims.append(ClaimRow(claim_id, e["args"]["round"], name(e["args"]["worker"]),
                               [name(seats[i]) for i in ledger.committee(claim_id)], approvals[claim_id],
                               label(ClaimStatus, c.status)))
    disputes = []
    for e in events:
        if e["event"] != "DisputeOpened" or e["args"]["jobId"] != job_id:
            continue
        dispute_id = e["args"]["disputeId"]
        d = ledger.dispute(dispute_id)
        verdicts = {name(v["args"]["juror"]): v["args"]["verdicts"] for v in events
                    if v["event"] == "VerdictRevealed" and v["args"]["disputeId"] == dispute_id}
        seated = [v["args"]["seats"] for v in events if v["event"] == "JurySeated" and v["args"]["disputeId"] == dispute_id]
        jury = [name(seats[i]) for i in (seated[-1] if seated else [])]
        disputes.append(DisputeRow(dispute_id, label(DisputeKind, d.kind), d.subject_id,
                                   [name(a) for a in d.challengers], jury, verdicts, list(d.segments), d.faulty_mask,
                                   label(DisputeStatus, d.status)))
    accounts = tally_accounts(events, names)
    slashes = [(name(e["args"]["account"]), label(SlashReason, e["args"]["reason"]), e["args"]["subjectId"],
                e["args"]["amount"]) for e in events if e["event"] == "Slashed"]
    for row in accounts.values():
        role = Role.WORKER if row.name.startswith(("worker", "cheater")) else Role.VERIFIER
        row.stake = ledger.stake(row.address, role).active
    return Report(genesis_loss=genesis["loss"], genesis_accuracy=genesis["accuracy"], rounds=rows, claims=claims,
                    disputes=disputes, accounts=list(accounts.values()), slashes=slashes,
                    heads_from=dict(accepted_in))


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


def print_report(console, report: Report) -> None:
    from rich.table import Table

    print_rounds_and_accounts(console, report)
    claims = Table(title="Claims: committee drawn from the seats, approvals, outcome")
    for column in ("claim", "round", "worker", "committee", "approved by", "status"):
        claims.add_column(column)
    for c in report.claims:
        claims.add_row(str(c.claim_id), str(c.round), c.worker, ", ".join(c.committee), ", ".join(c.approvers) or "-",
                       c.status)
    console.print(claims)
    disputes = Table(title="Disputes: challengers, jury (drawn after the challenge), verdicts (bit i = segment i faulty)")
    for column in ("dispute", "kind", "subject", "segments", "challengers", "jury", "verdicts", "faulty", "status"):
        disputes.add_column(column)
    for d in report.disputes:
        disputes.add_row(str(d.dispute_id), d.kind, str(d.subject), ",".join(map(str, d.segments)),
                         ", ".join(d.challengers), ", ".join(d.jury),
                         ", ".join(f"{j}:{v:b}" for j, v in d.verdicts.items()) or "-", f"{d.faulty_mask:b}", d.status)
    console.print(disputes)
    slashes = Table(title="Slashes")
    for column in ("account", "bond", "subject", "ETH"):
        slashes.add_column(column)
    for who, reason, subject, amount in report.slashes:
        slashes.add_row(who, reason, str(subject), format_eth(amount))
    console.print(slashes)


def check_workers(report, cheater: str, honest: list[str]) -> list[str]:
    """What the demo promises of the workers; each broken promise is one line."""
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


def check_outcome(report: Report, cheater: str, honest_workers: list[str], honest_verifiers: list[str],
                  colluders: list[str]) -> list[str]:
    """What the demo promises; each broken promise is one line."""
    failures = check_workers(report, cheater, honest_workers)
    by_address = {a.address: a for a in report.accounts}
    for address in honest_verifiers:
        row = by_address[address]
        if row.fees == 0:
            failures.append(f"honest verifier {row.name} was not paid")
        if row.slashed:
            failures.append(f"honest verifier {row.name} was slashed")
    cheater_name = by_address[cheater].name
    colluder_names = {by_address[a].name for a in colluders}
    approved_fraud = {a for c in report.claims if c.worker == cheater_name for a in c.approvers if a in colluder_names}
    for colluder in approved_fraud:
        if not any(who == colluder and reason == "ApprovalBond" for who, reason, _, _ in report.slashes):
            failures.append(f"{colluder} approved the cheater's claim and kept its bond")
    if not approved_fraud:
        failures.append("no colluder was drawn onto a committee of the cheater's claims: nothing to show (rerun)")
    fakes = {c.claim_id for c in report.claims if c.worker == cheater_name}
    for round_, ids in report.heads_from.items():
        if fakes & set(ids):
            failures.append(f"a claim of the cheater was accepted into the head of round {round_ + 1}")
    return failures
