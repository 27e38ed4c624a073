"""Tampering the audit must catch, each failing its named check with a message naming the claim, dispute or
account: an edited event row of the audit database (a credit, a seated jury, a duplicated finalization), and
expectations computed wrongly from the rebuilt tables (a slash moved to an approver that was not caught, an
approval placed at another committee position)."""
from __future__ import annotations

import json

import pytest

from node.audit.report import FAIL, PASS
from node.audit.run import run_audit
from node.audit.v2 import checks
from node.audit.v2.store import load

from audit_v2_helpers import audit_options
from node.chain.devaccounts import dev_account
from scenario import PARAMS, WORKERS


def tampered_audit(history, audited, tmp_path, sql: str, params=()):
    """Re-run the audit over a copy of the database whose raw event log was edited by `sql`."""
    import sqlite3

    db, _ = audited
    copy = tmp_path / "audit.db"
    conn = sqlite3.connect(copy)
    source = sqlite3.connect(db)
    source.backup(conn)  # the database is in WAL mode: copying its main file alone could miss pages
    source.close()
    with conn:
        conn.execute(sql, params)
    conn.close()
    return run_audit(audit_options(history, copy))


def event_args(audited, name: str, **match) -> tuple[int, int, dict]:
    import sqlite3

    conn = sqlite3.connect(audited[0])
    for block, log_index, args in conn.execute("select block, log_index, args from events where name = ? "
                                                "order by block, log_index", (name,)):
        a = json.loads(args)
        if all(a.get(k) == v for k, v in match.items()):
            return block, log_index, a
    raise AssertionError(f"no {name} event with {match}")


def test_an_edited_credit_fails_the_credits_check_naming_the_claim(history, audited, tmp_path):
    block, log_index, a = event_args(audited, "Credited", subjectId=history.honest, reason=0)
    a["amount"] += 1
    report = tampered_audit(history, audited, tmp_path, "update events set args = ? where block = ? and log_index = ?",
                            (json.dumps(a, sort_keys=True), block, log_index))
    credits = report.check("credits")
    assert credits.status == FAIL
    assert any(p.get("claim") == history.honest and p["rule"] == "reward and fees of finalizeClaim"
               for p in credits.problems()), credits.problems()
    # The worker withdrew its credit: the edited amount is no longer what it was paid.
    worker = dev_account(WORKERS[0]).address.lower()
    assert any(p.get("account") == worker and p["rule"] == "withdraw pays the whole credit"
               for p in credits.problems()), credits.problems()
    assert report.check("committees").status == PASS


def test_an_edited_jury_fails_the_juries_check_naming_the_dispute(history, audited, tmp_path):
    block, log_index, a = event_args(audited, "JurySeated", disputeId=history.claim_dispute)
    a["seats"] = list(reversed(a["seats"]))
    report = tampered_audit(history, audited, tmp_path, "update events set args = ? where block = ? and log_index = ?",
                            (json.dumps(a, sort_keys=True), block, log_index))
    juries = report.check("juries")
    assert juries.status == FAIL
    assert {p["dispute"] for p in juries.problems()} == {history.claim_dispute}
    assert any(p["rule"] == "JurySeated equals the recomputed jury" for p in juries.problems())


def test_a_claim_finalized_twice_fails_finality_naming_the_claim(history, audited, tmp_path):
    block, log_index, _ = event_args(audited, "ClaimFinalized", claimId=history.honest)
    report = tampered_audit(history, audited, tmp_path,
                            "insert into events (block, log_index, tx_hash, name, args) select block, "
                            "log_index + 1000, tx_hash, name, args from events where block = ? and log_index = ?",
                            (block, log_index))
    finality = report.check("finality")
    assert finality.status == FAIL
    assert [p.get("claim") for p in finality.problems()] == [history.honest]


@pytest.fixture
def tables(audited):
    from node.audit.db import open_db

    return load(open_db(audited[0]))


def snapshot_of(history, audited, tables):
    """The views the audit read (re-read here at the same block)."""
    from node.audit.ingest import Reader
    from node.audit.v2.snapshot import read_snapshot

    read = Reader(history.deployment.rpc_url, 0)
    return read_snapshot(history.ledger, tables, audited[1].snapshot_block, lambda what, fn: read(what, fn, ""))


def test_a_slash_of_an_approver_not_caught_is_unjustified(history, tables):
    (slash,) = [s for s in tables["slashes"] if s["reason"] == "approval_bond"]
    assert slash["account"] == history.caught and slash["subject_id"] == history.fraud
    innocent = next(a["member"] for a in tables["approvals"]
                    if a["claim_id"] == history.fraud and a["member"] != history.caught)
    assert checks.check_slashes(checks.Rebuilt(tables)).status == PASS
    slash["account"] = innocent  # the expectation computed as if the other approver had been slashed
    result = checks.check_slashes(checks.Rebuilt(tables))
    (problem,) = result.problems()
    assert result.status == FAIL and problem["claim"] == history.fraud and problem["account"] == innocent
    assert "own sample" in problem["problem"]


def test_a_juror_in_the_majority_slashed_is_unjustified(history, tables):
    (slash,) = [s for s in tables["slashes"]
                if s["reason"] == "juror_bond" and s["subject_id"] == history.claim_dispute]
    assert slash["account"] == history.dissenter
    majority = next(j for j in history.jurors[history.claim_dispute] if j != history.dissenter)
    slash["account"] = majority
    (problem,) = checks.check_slashes(checks.Rebuilt(tables)).problems()
    assert problem["dispute"] == history.claim_dispute and problem["account"] == majority


def test_an_approval_at_another_position_fails_committees(history, audited, tables):
    snap = snapshot_of(history, audited, tables)
    approval = next(a for a in tables["approvals"] if a["claim_id"] == history.honest)
    approval["position"] = (approval["position"] + 1) % 3
    result = checks.check_committees(checks.Rebuilt(tables), snap)
    assert result.status == FAIL
    assert any(p["claim"] == history.honest and p["member"] == approval["member"] for p in result.problems())


def test_a_lock_computed_wrongly_fails_stakes_naming_the_account(history, audited, tables):
    snap = snapshot_of(history, audited, tables)
    row = next(s for s in tables["stakes"] if s["account"] == history.caught and s["role"] == "verifier")
    row["locked"] += PARAMS.approval_bond  # as if the caught approver's bond had been released, not slashed
    (problem,) = checks.check_stakes(checks.Rebuilt(tables), snap).problems()
    assert (problem["account"], problem["field"]) == (history.caught, "locked")


def test_a_seat_registered_later_in_the_log_fails_committees_naming_the_seat(history, audited, tmp_path):
    """A SeatRegistered edited to a later block: the registry (and so every draw over it) is not the chain's."""
    block, log_index, a = event_args(audited, "SeatRegistered", seatIndex=0)
    a["registeredAt"] += 1000
    report = tampered_audit(history, audited, tmp_path, "update events set args = ? where block = ? and log_index = ?",
                            (json.dumps(a, sort_keys=True), block, log_index))
    committees = report.check("committees")
    assert committees.status == FAIL
    assert any(p.get("seat") == 0 for p in committees.problems())
