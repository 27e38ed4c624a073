"""The v2 audit over a real honest+fraud history passes every check, and its tables show what happened."""
from __future__ import annotations

from node.audit.report import PASS, SKIPPED

V2_CHECKS = ["committees", "juries", "verdicts", "slashes", "credits", "stakes", "conservation", "head_chain",
             "finality"]
ARTIFACT_CHECKS = ["job_specs", "head_average", "reverify"]  # skipped here: this scenario serves no artifacts


def test_honest_and_fraud_history_passes_every_check(audited):
    _, report = audited
    assert [c.name for c in report.checks] == V2_CHECKS + ARTIFACT_CHECKS
    for c in report.checks:
        assert c.status == (SKIPPED if c.name in ARTIFACT_CHECKS else PASS), (c.name, c.summary, c.problems())


def test_gradchain_audit_takes_the_v2_path_for_a_v2_deployment(history, audited, tmp_path):
    """The command itself, in-process: exit 0, the v2 checks in its JSON, and the database marked v2."""
    import json
    import sqlite3

    import typer
    from typer.testing import CliRunner

    from node.commands.audit import audit_command

    app = typer.Typer()
    app.command("audit")(audit_command)
    app.command("other")(lambda: None)  # two commands: typer keeps "audit" as a subcommand name
    db = tmp_path / "audit.db"
    result = CliRunner().invoke(app, ["audit", "--home", str(history.home), "--db", str(db), "--json",
                                      "--no-artifacts", "--to-block", str(audited[1].snapshot_block)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [c["name"] for c in report["checks"]][:len(V2_CHECKS)] == V2_CHECKS
    assert report["status"] == PASS
    conn = sqlite3.connect(db)
    assert conn.execute("select value from meta where key = 'ledger_version'").fetchone() == ("2",)
    # A resumed run over the same database reads nothing new and judges the same.
    again = CliRunner().invoke(app, ["audit", "--home", str(history.home), "--db", str(db), "--json",
                                     "--no-artifacts", "--to-block", str(audited[1].snapshot_block)])
    assert again.exit_code == 0 and json.loads(again.stdout)["read"]["events"] == 0


def test_bond_locks_derived_from_open_obligations_equal_stakeof(history, tmp_path):
    """Audited at a block where claims, approvals, a challenge and juror commitments are all open: the locks
    derived from their events (no event states them) equal stakeOf(...).locked, and they are not all zero."""
    from node.audit.db import open_db
    from node.audit.run import AuditOptions, run_audit
    from node.audit.v2.store import load

    from scenario import PARAMS

    db = tmp_path / "audit.db"
    report = run_audit(AuditOptions(home=history.home, db_path=db, artifacts=False,
                                    to_block=history.open_bonds_block))
    assert report.check("stakes").status == PASS, report.check("stakes").problems()
    assert report.status == PASS, [(c.name, c.problems()) for c in report.checks if c.status != PASS]
    tables = load(open_db(db))
    locked = {(s["account"], s["role"]): s["locked"] for s in tables["stakes"] if s["locked"]}
    for j in history.jurors[history.claim_dispute]:
        approvals = sum(1 for a in tables["approvals"] if a["member"] == j)  # claim A's, still open
        assert locked[(j, "verifier")] == PARAMS.juror_bond + approvals * PARAMS.approval_bond
    approvals = sum(1 for a in tables["approvals"] if a["member"] == history.caught)
    assert locked[(history.caught, "verifier")] == approvals * PARAMS.approval_bond
    assert sum(1 for (_, role) in locked if role == "worker") == 2  # both claims still open


def test_the_v1_reader_ingests_every_v2_event_with_the_v2_abi(history, audited):
    """node.audit.ingest reads through Ledger.events; with the LedgerV2 artifact it decodes every v2 event."""
    import sqlite3
    from collections import Counter

    db, report = audited
    stored = Counter(n for (n,) in sqlite3.connect(db).execute("select name from events"))
    chain = Counter(e["event"] for e in history.ledger.events(history.deployment.block, report.snapshot_block))
    assert stored == chain
    for name in ("JobCreated", "Staked", "SeatRegistered", "ClaimSubmitted", "Approved", "Challenged",
                 "DisputeOpened", "JurySeated", "VerdictCommitted", "VerdictRevealed", "DisputeResolved",
                 "ClaimFinalized", "Credited", "Slashed", "EscrowReleased", "HeadProposed", "HeadChallenged",
                 "HeadFinalized", "HeadAdvanced", "RoundStarted", "Withdrawn", "SeatRetired", "JobFunded",
                 "UnstakeRequested", "StakeWithdrawn"):
        assert stored[name], name


def test_the_history_holds_every_ending_the_checks_judge(history, audited):
    """Guards the scenario: each kind of slash, a redraw, a NoVerdict and a Rejected head are in the audited history."""
    from node.audit.db import open_db
    from node.audit.v2.store import load

    t = load(open_db(audited[0]))
    assert {s["reason"] for s in t["slashes"]} == {"claim_bond", "approval_bond", "challenge_bond", "juror_bond",
                                                   "head_bond", "expiry_penalty", "miss_penalty"}
    status = {c["claim_id"]: c["status"] for c in t["claims"]}
    assert (status[history.honest], status[history.fraud], status[history.expired],
            status[history.no_verdict_claim]) == ("Accepted", "Rejected", "Expired", "Expired")
    disputes = {d["dispute_id"]: d for d in t["disputes"]}
    assert disputes[history.no_verdict_dispute]["status"] == "NoVerdict"
    assert disputes[history.no_verdict_dispute]["attempts"] == 2
    assert {p["proposal_id"]: p["status"] for p in t["proposals"]}[history.wrong_head] == "Rejected"
    assert max(h["round"] for h in t["heads"]) == 2
