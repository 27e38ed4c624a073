"""An RPC endpoint that drops or stalls mid-read: a clear error, the read saved, a resumed audit, never a pass
(ported from the v1 audit tests: the v2 audit shares the resumable ingest)."""
from __future__ import annotations

import pytest

from audit_v2_helpers import FaultyRpcProxy, audit_cli, db_rows

FAST = ("--page-blocks", "10", "--rpc-timeout", "1", "--rpc-retries", "1", "--no-artifacts")


@pytest.fixture
def proxy(chain):
    p = FaultyRpcProxy(chain.url)
    yield p
    p.close()


@pytest.mark.parametrize("mode", ["drop", "hang"])
def test_failing_endpoint_stops_the_read_and_the_next_run_resumes(history, audited, proxy, tmp_path, mode):
    db = tmp_path / "audit.db"
    to_block = ("--to-block", str(audited[1].snapshot_block))
    # A dozen answers: past the set-up calls and a few pages, then the endpoint fails mid-read.
    proxy.fail_after(12, mode)
    result, report = audit_cli(history.home, db, *FAST, *to_block, rpc=proxy.url)
    assert result.exit_code == 2, result.output
    assert report is None, "no report of an incomplete read"
    message = " ".join(result.stderr.split())
    assert "audit interrupted" in message and proxy.url in message
    assert "run the audit again to continue from block" in message
    assert ("Timeout" in message) if mode == "hang" else ("Connection" in message or "Disconnected" in message)
    (cursor,) = db_rows(db, "select * from cursor")
    assert history.deployment.block < cursor["block"] < audited[1].snapshot_block
    assert db_rows(db, "select * from checks") == [], "an interrupted read leaves no verdict behind"
    stored = db_rows(db, "select block, log_index from events order by block, log_index")
    assert all(r["block"] <= cursor["block"] for r in stored)

    proxy.heal()
    result, report = audit_cli(history.home, db, *FAST, *to_block, rpc=proxy.url)
    assert result.exit_code == 0, result.output
    assert report["read"]["resumed"] and report["read"]["first_block"] == cursor["block"] + 1
    assert report["status"] == "pass"
    # The resumed database holds exactly the chain's events, none lost or doubled at the seam.
    chain = [(e["blockNumber"], e["logIndex"]) for e in
             history.ledger.events(history.deployment.block, report["snapshot_block"])]
    stored = [(r["block"], r["log_index"]) for r in db_rows(db, "select block, log_index from events "
                                                               "order by block, log_index")]
    assert stored == chain


def test_unreachable_endpoint_is_a_clear_error(history, tmp_path):
    result, report = audit_cli(history.home, tmp_path / "audit.db", "--rpc-timeout", "1", "--rpc-retries", "0",
                               rpc="http://127.0.0.1:9")
    assert result.exit_code == 2 and report is None
    assert "http://127.0.0.1:9" in result.stderr and "nothing was read" in result.stderr
