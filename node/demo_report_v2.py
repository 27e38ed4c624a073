"""The v2 demo's closing tables, rebuilt from chain events and heads fetched over HTTP (as an auditor would):
rounds and held-out metrics, each claim's committee and outcome, each dispute's challengers, jury and verdict,
and what every account earned and lost."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .chain.v2.views import ClaimStatus, DisputeKind, DisputeStatus, Role, SlashReason
from .demo_report import AccountRow, RoundRow, metrics_of_heads, tally_accounts
from .events_v2 import label
from .wallet.amounts import format_eth


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
class ReportV2:
    genesis_loss: float
    genesis_accuracy: float
    rounds: list[RoundRow]
    claims: list[ClaimRow] = field(default_factory=list)
    disputes: list[DisputeRow] = field(default_factory=list)
    accounts: list[AccountRow] = field(default_factory=list)
    slashes: list[tuple[str, str, int, int]] = field(default_factory=list)  # name, reason, subject, wei
    heads_from: dict[int, list[int]] = field(default_factory=dict)  # round -> accepted claim ids averaged


def build_report_v2(ledger, from_block: int, job_id: int, spec, head_server: str, names: dict[str, str],
                    rounds: int) -> ReportV2:
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
    return ReportV2(genesis_loss=genesis["loss"], genesis_accuracy=genesis["accuracy"], rounds=rows, claims=claims,
                    disputes=disputes, accounts=list(accounts.values()), slashes=slashes,
                    heads_from=dict(accepted_in))


def print_report_v2(console, report: ReportV2) -> None:
    from rich.table import Table

    from .demo_report import print_rounds_and_accounts

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


def check_outcome_v2(report: ReportV2, cheater: str, honest_workers: list[str], honest_verifiers: list[str],
                     colluders: list[str]) -> list[str]:
    """What the v2 demo promises; each broken promise is one line."""
    from .demo_report import check_outcome

    failures = check_outcome(report, cheater, honest_workers)
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
