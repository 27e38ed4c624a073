"""The explorer's training curves over real transcripts served by real worker servers (artifact_scenario.py), in a
real headless chromium: one line per claim, coloured by worker, whose points are the segment means of the
transcript the worker committed to; each worker's share of the accepted training steps; the accepted work's
curve round by round. A worker whose server is down has no curve until it is back; one that serves bytes other
than its committed transcript never gets one (the page counts both)."""
from __future__ import annotations

import json

import pytest

from browser_helpers import LEAD_SHOTS, browser_page, require_chromium
from node.api.server import BackgroundServer
from node.audit.run import AuditOptions, run_audit
from node.audit.v2.losses import FETCHES, LOSSES, RETRY_AFTER_S
from node.audit.v2.run import store_losses
from node.explorer.app import create_app

import artifact_scenario
from audit_v2_helpers import db_rows

sync_api = require_chromium()


@pytest.fixture(scope="module")
def served(chain, tmp_path_factory):
    yield from artifact_scenario.served_history(chain, tmp_path_factory, "curves")


def audit(h, db):
    return run_audit(AuditOptions(home=h.home, db_path=db, to_block=h.ledger.w3.eth.block_number - 1))


def segment_means(transcript) -> list[float]:
    return [sum(s.losses) / len(s.losses) for s in transcript.segments]


def charts(db):
    """What the /charts page draws, read from the DOM of a real browser."""
    server = BackgroundServer(create_app(db)).start()
    try:
        with browser_page(sync_api) as page:
            page.goto(server.url + "/charts")
            curves = page.eval_on_selector_all("svg#loss-curves polyline.curve:not(.head)", """ls => ls.map(l => ({
                claim: +l.dataset.claim, worker: l.dataset.worker, status: l.dataset.status,
                dashed: l.classList.contains('dashed'), steps: JSON.parse(l.dataset.steps),
                losses: JSON.parse(l.dataset.losses), points: l.getAttribute('points').split(' ').length,
                colour: [...l.classList].find(c => /^w[0-9]$/.test(c))}))""")
            head = page.eval_on_selector_all("svg#loss-curves polyline.head", "ls => ls.map(l => JSON.parse("
                                             "l.dataset.points))")
            legend = page.eval_on_selector_all("ul.legend li[data-worker]", "ls => ls.map(l => [l.dataset.worker, "
                                               "+l.dataset.acceptedSteps, l.innerText])")
            missing = page.eval_on_selector_all("p[data-missing]", "ps => ps.map(p => [p.dataset.missing, "
                                                "p.innerText])")
            requests = list(page.requests)
            return {"curves": curves, "head": head, "legend": legend, "missing": missing, "requests": requests,
                    "url": server.url, "page": page.screenshot(full_page=True)}
    finally:
        server.stop()


def test_each_claims_curve_is_its_committed_transcript_and_each_worker_has_its_share(served, tmp_path):
    h = served
    db = tmp_path / "audit.db"
    audit(h, db)
    stored = db_rows(db, f"select * from {LOSSES} order by claim_id, segment")
    assert {r["claim_id"] for r in stored} == set(h.transcripts)
    assert {r["status"] for r in db_rows(db, f"select status from {FETCHES}")} == {"ok"}

    drawn = charts(db)
    assert all(u.startswith(drawn["url"]) for u in drawn["requests"]), drawn["requests"]
    by_claim = {c["claim"]: c for c in drawn["curves"]}
    assert set(by_claim) == set(h.transcripts)
    steps_per_claim = artifact_scenario.SPEC.steps_per_claim
    for claim_id, transcript in h.transcripts.items():
        curve = by_claim[claim_id]
        assert curve["losses"] == pytest.approx(segment_means(transcript), rel=1e-12), claim_id
        assert curve["worker"].lower() == transcript.worker
        k = transcript.checkpoint_every
        assert curve["steps"] == [transcript.round * steps_per_claim + (i + 1) * k
                                  for i in range(len(transcript.segments))]
        assert curve["points"] == len(transcript.segments)
        assert curve["status"] == "Accepted" and not curve["dashed"]
    # One colour per worker, the same on all of its claims.
    colours = {}
    for c in drawn["curves"]:
        colours.setdefault(c["worker"], set()).add(c["colour"])
    assert all(len(v) == 1 for v in colours.values()) and len({next(iter(v)) for v in colours.values()}) == 2

    # Shares of the accepted training: workers[0] one claim of three, workers[1] two.
    legend = {w: (steps, text) for w, steps, text in drawn["legend"]}
    first, second = (w.account.address for w in h.workers)
    assert legend[first][0] == steps_per_claim and legend[second][0] == 2 * steps_per_claim
    assert "33 % of the accepted training steps" in legend[first][1]
    assert "67 % of the accepted training steps" in legend[second][1]

    # The accepted work's curve: per round, the mean of its accepted claims' last-segment losses.
    (head,) = drawn["head"]
    round_0 = [segment_means(h.transcripts[c])[-1] for c in h.claims]
    assert [s for s, _ in head] == [steps_per_claim, 2 * steps_per_claim]
    assert [v for _, v in head] == pytest.approx([sum(round_0) / 2, segment_means(h.transcripts[h.claim_1])[-1]])
    assert drawn["missing"] == []
    (tmp_path / "charts.png").write_bytes(drawn["page"])
    LEAD_SHOTS.mkdir(parents=True, exist_ok=True)
    (LEAD_SHOTS / "explorer-loss-curves.png").write_bytes(drawn["page"])


def test_a_worker_down_has_no_curve_until_it_is_back_and_tampered_bytes_never_get_one(served, tmp_path):
    h = served
    db = tmp_path / "audit.db"
    down, tampered = h.workers
    down.stop()
    # workers[1] now serves its disk as it is, and its round-1 transcript file holds other bytes.
    tampered.stop()
    honest_bytes = {}
    try:
        path = tampered.store.root / f"{h.transcripts[h.claim_1].root.hex()}{artifact_scenario.SUFFIX['transcript']}"
        honest_bytes[path] = path.read_bytes()
        altered = json.loads(honest_bytes[path])
        altered["segments"][0]["losses"][0] = 0.001
        path.write_bytes(json.dumps(altered, sort_keys=True, separators=(",", ":")).encode())
        disk = artifact_scenario.DiskServer(tampered.store.root, tampered.port)
        try:
            audit(h, db)
        finally:
            disk.close()
        status = {r["claim_id"]: r["status"] for r in db_rows(db, f"select * from {FETCHES}")}
        down_claim = h.claims[0]
        assert status[down_claim] == "unavailable" and status[h.claim_1] == "tampered", status
        assert status[h.claims[1]] == "ok", status  # workers[1]'s round-0 transcript is intact on its disk
        drawn = charts(db)
        assert {c["claim"] for c in drawn["curves"]} == {h.claims[1]}
        assert dict((k, t) for k, t in drawn["missing"]).keys() == {"unavailable", "tampered"}
        assert "1 claim(s) with no curve: transcript tampered" in dict(drawn["missing"])["tampered"]
    finally:
        for path, data in honest_bytes.items():
            path.write_bytes(data)
        tampered.start()
        down.start()

    # Back up: read again on a later pass (not before RETRY_AFTER_S); the tampered one is not retried.
    from node.audit.db import open_db

    conn = open_db(db)
    try:
        chain_id = h.ledger.w3.eth.chain_id
        assert store_losses(conn, chain_id, h.ledger.address, budget=16).fetched == 0  # too soon to retry
        conn.execute(f"update {FETCHES} set at = at - ?", (RETRY_AFTER_S + 1,))
        conn.conn.commit()
        again = store_losses(conn, chain_id, h.ledger.address, budget=16)
    finally:
        conn.conn.close()
    assert (again.fetched, again.failed) == (1, 0), again
    status = {r["claim_id"]: r["status"] for r in db_rows(db, f"select * from {FETCHES}")}
    assert status == {h.claims[0]: "ok", h.claims[1]: "ok", h.claim_1: "tampered"}, status
    assert {c["claim"] for c in charts(db)["curves"]} == set(h.claims)
