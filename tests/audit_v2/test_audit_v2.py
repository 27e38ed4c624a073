"""The v2 audit over a real honest+fraud history passes every check, and its tables show what happened."""
from __future__ import annotations

from node.audit.report import PASS, SKIPPED

V2_CHECKS = ["committees", "juries", "verdicts", "slashes", "credits", "stakes", "conservation", "head_chain",
             "finality"]


def test_honest_and_fraud_history_passes_every_check(audited):
    _, report = audited
    assert [c.name for c in report.checks] == V2_CHECKS + ["head_average"]
    for c in report.checks:
        assert c.status == (SKIPPED if c.name == "head_average" else PASS), (c.name, c.summary, c.problems())


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
