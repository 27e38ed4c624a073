"""Check results and how they are shown: a rich table on the terminal, a JSON document for machines.

A check is PASS only when everything it covers was checked and held. FAIL means the chain or the evidence
contradicts the protocol. UNVERIFIABLE means something could not be checked (an artifact server is down, no
spec file): never a pass, and never silently dropped. SKIPPED means the check was not asked for.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

PASS, FAIL, UNVERIFIABLE, SKIPPED = "pass", "fail", "unverifiable", "skipped"
EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_UNVERIFIABLE = 0, 1, 2, 3


@dataclass
class CheckResult:
    name: str  # stable machine name, e.g. "claim_votes"
    title: str  # what the check decides, in one line
    status: str = PASS
    summary: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)  # each item has a "status" and its details

    def add(self, status: str, **details: Any) -> None:
        self.evidence.append({"status": status, **details})

    def settle(self, summary: str) -> "CheckResult":
        """The status follows the worst evidence: any fail fails, else any unverifiable is unverifiable."""
        statuses = {e["status"] for e in self.evidence}
        if self.status == SKIPPED:
            pass
        elif FAIL in statuses:
            self.status = FAIL
        elif UNVERIFIABLE in statuses:
            self.status = UNVERIFIABLE
        else:
            self.status = PASS
        self.summary = summary
        return self

    def problems(self) -> list[dict[str, Any]]:
        return [e for e in self.evidence if e["status"] in (FAIL, UNVERIFIABLE)]


@dataclass
class AuditReport:
    chain_id: int
    ledger: str
    rpc_url: str
    deployment_block: int
    snapshot_block: int
    db: str
    read: dict[str, Any]  # pages, events, resumed, first_block
    checks: list[CheckResult]

    @property
    def status(self) -> str:
        statuses = {c.status for c in self.checks}
        if FAIL in statuses:
            return FAIL
        if UNVERIFIABLE in statuses:
            return UNVERIFIABLE
        return PASS

    def exit_code(self, strict: bool = False) -> int:
        if self.status == FAIL:
            return EXIT_FAILED
        if self.status == UNVERIFIABLE and strict:
            return EXIT_UNVERIFIABLE
        return EXIT_OK

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c.name == name)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, default=str)


STYLE = {PASS: "bold green", FAIL: "bold red", UNVERIFIABLE: "bold yellow", SKIPPED: "dim"}


def render(report: AuditReport, console, max_evidence: int = 8) -> None:
    """The terminal report: one row per check, then the evidence of every check that did not pass."""
    from rich.table import Table

    console.print(f"[bold]gradchain audit[/] of ledger {report.ledger} on chain {report.chain_id} "
                  f"at block {report.snapshot_block} (from block {report.deployment_block}; database {report.db})")
    read = report.read
    console.print(f"read {read['events']} new events in {read['pages']} pages from block {read['first_block']}"
                  + (" (resumed an earlier read)" if read["resumed"] else ""))
    table = Table(show_lines=False)
    table.add_column("check")
    table.add_column("status")
    table.add_column("evidence")
    for c in report.checks:
        table.add_row(c.title, f"[{STYLE[c.status]}]{c.status.upper()}[/]", c.summary)
    console.print(table)
    for c in report.checks:
        problems = c.problems()
        if not problems:
            continue
        console.print(f"[{STYLE[c.status]}]{c.status.upper()}[/] {c.title}:")
        for item in problems[:max_evidence]:
            details = ", ".join(f"{k}={v}" for k, v in item.items() if k != "status")
            console.print(f"  - [{STYLE[item['status']]}]{item['status']}[/] {details}", soft_wrap=True)
        if len(problems) > max_evidence:
            console.print(f"  … {len(problems) - max_evidence} more (see --json or the checks table of the database)")
    console.print(f"overall: [{STYLE[report.status]}]{report.status.upper()}[/]")
