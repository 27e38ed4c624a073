"""An honest network, audited while its nodes run: every check passes and the database is the chain's history."""
from __future__ import annotations

import sqlite3

import pytest

from helpers import audit, check, db_rows


@pytest.fixture(scope="module")
def audited(network, tmp_path_factory):
    db = tmp_path_factory.mktemp("audit") / "audit.db"
    result, report = audit(network, db, "--reverify", "2", "--reverify-seed", "7", "--page-blocks", "25")
    return db, result, report


def test_honest_network_passes_every_check(audited):
    db, result, report = audited
    assert result.exit_code == 0, result.output
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses == {"ledger_state": "pass", "claim_votes": "pass", "credits": "pass", "eth_balance": "pass",
                        "head_chain": "pass", "job_specs": "pass", "head_average": "pass", "reverify": "pass"}
    replayed = [e for e in check(report, "reverify")["evidence"]]
    assert len(replayed) == 2 and all(e["decision"] == "approve" for e in replayed)
    # Every head up to the snapshot was rebuilt as a mean of fetched results, none merely assumed.
    heads = check(report, "head_average")["evidence"]
    assert len([e for e in heads if e.get("claims")]) >= 2
    assert report["read"]["pages"] > 1, "the history was read in pages"


def test_database_matches_the_chain(network, audited):
    db, _, report = audited
    snapshot = report["snapshot_block"]
    events = [e for e in network.ledger.events(network.deployment.block, snapshot)]
    by_name = {}
    for e in events:
        by_name.setdefault(e["event"], []).append(e["args"])
    stored = db_rows(db, "select name, count(*) as n from events group by name")
    assert {r["name"]: r["n"] for r in stored} == {k: len(v) for k, v in by_name.items()}

    claims = db_rows(db, "select * from claims order by claim_id")
    assert [c["claim_id"] for c in claims] == [a["claimId"] for a in by_name["ClaimSubmitted"]]
    for c in claims:
        view = network.ledger.call("getClaim", c["claim_id"], block=snapshot)
        assert c["result"] == "0x" + view[4].hex() and c["worker"] == view[2]
        assert {2: "Accepted", 1: "Pending", 3: "Rejected", 4: "Expired"}[view[9]] == c["status"]
    votes = db_rows(db, "select * from votes")
    assert len(votes) == len(by_name["Attested"])
    assert all(v["signer"] == v["verifier"] and v["via"] == "attest" for v in votes)
    credited = sum(int(r["amount"]) for r in db_rows(db, "select amount from credits"))
    assert credited == sum(a["amount"] for a in by_name["Credited"])
    heads = db_rows(db, "select * from heads where job_id = 1 order by round")
    assert [h["head"] for h in heads[1:]] == ["0x" + a["head"].hex() for a in by_name["HeadAdvanced"]]
    assert heads[0]["head"] == "0x" + network.ledger.call("getJob", 1)[1][1].hex()
    stakes = {(s["account"], s["role"]): int(s["active"]) for s in db_rows(db, "select * from stakes")}
    for (account, role), active in stakes.items():
        assert network.ledger.call("stakeOf", account, {"worker": 1, "verifier": 2}[role], block=snapshot)[0] == active
    # A metric for every head the audit rebuilt, the genesis included.
    metrics = db_rows(db, "select m.* from heads h join head_metrics m on m.head = h.head where h.job_id = 1")
    assert len(metrics) == len(heads) and all(0 <= m["accuracy"] <= 1 and m["loss"] > 0 for m in metrics)
    assert metrics[-1]["accuracy"] > metrics[0]["accuracy"], "the heads learn"

    # Browsable: foreign keys declared and consistent, indexes in place.
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        fks = {r[2] for r in conn.execute("pragma foreign_key_list(votes)")}
        assert fks == {"claims"}
        indexes = {r[1] for r in conn.execute("pragma index_list(claims)")}
        assert any("worker" in name for name in indexes)
    finally:
        conn.close()


def test_second_run_resumes_and_still_passes(network, audited):
    db, _, first = audited
    result, report = audit(network, db, "--page-blocks", "25")
    assert result.exit_code == 0, result.output
    assert report["read"]["resumed"] and report["read"]["first_block"] == first["snapshot_block"] + 1
    assert report["status"] == "pass"
    assert all(c["status"] in ("pass", "skipped") for c in report["checks"])
    # The terminal report of a third run: one row per check and the overall verdict.
    result, _ = audit(network, db, as_json=False)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "resumed an earlier read" in text and "overall: PASS" in text and "heads form one chain" in text
