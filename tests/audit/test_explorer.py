"""The explorer in a real headless chromium: the page loads with local assets only, the chart renders one point
per scored head, and the heads, claims and addresses tables show exactly what the audit database holds."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import audit, db_rows
from node.api.server import BackgroundServer
from node.explorer.app import create_app
from node.explorer.pages import eth

CHROMIUM = Path(os.environ.get("GRADCHAIN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is installed by scripts/setup.sh")
if not CHROMIUM.exists():
    pytest.skip(f"no chromium at {CHROMIUM}: scripts/setup.sh installs Debian's chromium", allow_module_level=True)


@pytest.fixture(scope="module")
def explorer(network, tmp_path_factory):
    db = tmp_path_factory.mktemp("explorer") / "audit.db"
    result, report = audit(network, db, "--reverify", "1", "--reverify-seed", "3")
    assert result.exit_code == 0, result.output
    server = BackgroundServer(create_app(db)).start()
    yield db, server.url
    server.stop()


@pytest.fixture(scope="module")
def page(explorer):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.requests = requests
        yield page
        browser.close()


def cells(page, table: str) -> list[list[str]]:
    return page.eval_on_selector_all(f"table#{table} tbody tr:not(.empty)",
                                     "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def test_heads_page_renders_the_chart_from_local_assets(explorer, page):
    db, url = explorer
    page.goto(url + "/")
    page.wait_for_selector("svg.chart[data-rendered=true]")
    scored = db_rows(db, "select h.round, m.loss, m.accuracy from heads h join head_metrics m on m.head = h.head "
                         "where h.job_id = 1 order by h.round")
    assert len(scored) >= 3  # genesis and at least two averaged heads
    assert page.locator("svg.chart circle.pt.loss").count() == len(scored)
    assert page.locator("svg.chart circle.pt.accuracy").count() == len(scored)
    drawn = page.eval_on_selector_all("svg.chart circle.pt.loss",
                                      "cs => cs.map(c => [Number(c.dataset.round), Number(c.dataset.value)])")
    assert drawn == [[r["round"], pytest.approx(r["loss"])] for r in scored]
    heights = page.eval_on_selector_all("svg.chart circle.pt.accuracy", "cs => cs.map(c => Number(c.getAttribute('cy')))")
    assert heights[-1] < heights[0], "accuracy rises, so its last point is drawn higher than the genesis point"
    assert all(u.startswith(url) for u in page.requests), f"only local assets: {page.requests}"
    assert any(u.endswith("/static/chart.js") for u in page.requests)

    heads = db_rows(db, "select * from heads where job_id = 1 order by round")
    shown = cells(page, "heads-1")
    assert [int(r[0]) for r in shown] == [h["round"] for h in heads]
    titles = page.eval_on_selector_all("table#heads-1 tbody tr td:nth-child(2) code", "cs => cs.map(c => c.title)")
    assert titles == [h["head"] for h in heads]
    assert all(r[-1] == "pass" for r in shown)
    checks = {r[0]: r[1] for r in cells(page, "checks")}
    assert checks == {c["name"]: c["status"] for c in db_rows(db, "select * from checks")}


def test_claims_table_matches_the_database(explorer, page):
    db, url = explorer
    page.goto(url + "/claims")
    claims = db_rows(db, "select * from claims order by claim_id")
    shown = cells(page, "claims")
    assert [(r[0], int(r[1]), int(r[2]), r[4]) for r in shown] == \
        [(f"#{c['claim_id']}", c["job_id"], c["round"], c["status"]) for c in claims]
    votes = {c["claim_id"]: len(db_rows(db, "select 1 from votes where claim_id = ?", (c["claim_id"],))) for c in claims}
    assert [r[5] for r in shown] == [f"{c['approvals']}✓ {c['rejections']}✗" for c in claims]
    assert [r[6].count("✓") + r[6].count("✗") for r in shown] == [votes[c["claim_id"]] for c in claims]
    links = page.eval_on_selector_all("table#claims a.evidence", "as => as.map(a => a.href)")
    expected = []
    for c in claims:
        base = c["artifact_uri"].rstrip("/")
        expected += [f"{base}/artifacts/{c['transcript_root'][2:]}", f"{base}/artifacts/{c['result'][2:]}"]
    assert links == expected

    first = claims[0]
    page.goto(url + f"/claim/{first['claim_id']}")
    voters = page.eval_on_selector_all("table#votes tbody tr td:first-child a", "as => as.map(a => a.title)")
    assert sorted(voters) == sorted(v["verifier"] for v in db_rows(db, "select verifier from votes where claim_id = ?",
                                                                   (first["claim_id"],)))


def test_addresses_table_matches_the_database(explorer, page):
    db, url = explorer
    page.goto(url + "/addresses")
    shown = {r[0]: r for r in cells(page, "addresses")}
    titles = page.eval_on_selector_all("table#addresses tbody tr td:first-child a", "as => as.map(a => a.title)")
    for account in titles:
        credits = db_rows(db, "select reason, amount from credits where account = ?", (account,))
        stakes = {s["role"]: s for s in db_rows(db, "select * from stakes where account = ?", (account,))}
        row = shown[account[:8] + "…" + account[-4:]]
        assert row[4] == eth(sum(int(c["amount"]) for c in credits if c["reason"] == "Reward"))
        assert row[5] == eth(sum(int(c["amount"]) for c in credits if c["reason"] == "Fee"))
        assert row[3] == eth(int(stakes["verifier"]["active"]) if "verifier" in stakes else 0)
        assert row[2] == eth(int(stakes["worker"]["active"]) if "worker" in stakes else 0)
    workers = {c["worker"] for c in db_rows(db, "select worker from claims")}
    assert workers <= set(titles)
