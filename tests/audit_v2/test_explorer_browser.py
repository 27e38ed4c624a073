"""The explorer in a real headless chromium, over the v2 audit database: the pages load with local assets only, and
the heads, claims and addresses tables show exactly what the audit database holds (ported from the v1 explorer
test; the v2 audit fetches no artifacts, so there are no held-out metrics and no chart to check)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from audit_v2_helpers import db_rows
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
def explorer(audited):
    db = audited[0]
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


def test_heads_page_loads_local_assets_only_and_shows_the_heads_and_checks(explorer, page):
    db, url = explorer
    page.goto(url + "/")
    page.wait_for_selector("table#heads-1")
    assert all(u.startswith(url) for u in page.requests), f"only local assets: {page.requests}"
    assert any(u.endswith("/static/style.css") for u in page.requests)
    heads = db_rows(db, "select * from heads where job_id = 1 order by round")
    shown = cells(page, "heads-1")
    assert [int(r[0]) for r in shown] == [h["round"] for h in heads]
    titles = page.eval_on_selector_all("table#heads-1 tbody tr td:nth-child(2) code", "cs => cs.map(c => c.title)")
    assert titles == [h["head"] for h in heads]
    checks = {r[0]: r[1] for r in cells(page, "checks")}
    assert checks == {c["name"]: c["status"] for c in db_rows(db, "select * from checks")}


def test_claims_table_matches_the_database(explorer, page):
    db, url = explorer
    page.goto(url + "/claims")
    claims = db_rows(db, "select * from claims order by claim_id")
    shown = cells(page, "claims")
    assert [(r[0], int(r[1]), int(r[2]), r[4], int(r[5])) for r in shown] == \
        [(f"claim #{c['claim_id']}", c["job_id"], c["round"], c["status"], c["approvals"]) for c in claims]
    workers = page.eval_on_selector_all("table#claims tbody tr td:nth-child(4) a", "as => as.map(a => a.title)")
    assert workers == [c["worker"] for c in claims]

    first = claims[0]
    page.goto(url + f"/claim/{first['claim_id']}")
    approvers = page.eval_on_selector_all("table#approvals tbody tr a.addr", "as => as.map(a => a.title)")
    assert sorted(approvers) == sorted(a["member"] for a in db_rows(
        db, "select member from approvals where claim_id = ?", (first["claim_id"],)))


def test_addresses_table_matches_the_database(explorer, page):
    db, url = explorer
    page.goto(url + "/addresses")
    stakes = db_rows(db, "select * from stakes order by account, role")
    shown = cells(page, "addresses")
    titles = page.eval_on_selector_all("table#addresses tbody tr td:first-child a", "as => as.map(a => a.title)")
    assert titles == [s["account"] for s in stakes]
    for row, s in zip(shown, stakes):
        assert row[1] == s["role"]
        assert row[2:] == [eth(int(s[k])) for k in ("active", "locked", "unbonding", "credit", "slashed")]
    workers = {c["worker"] for c in db_rows(db, "select worker from claims")}
    assert workers <= set(titles)
