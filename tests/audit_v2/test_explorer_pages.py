"""The explorer's chain pages in a real headless chromium, over the audit of scenario.py's real LedgerV2 history on
a real anvil: transaction and block pages agree with the chain's own receipts and headers; every link on the main
pages resolves; every row's time is a readable UTC date-time of its block; the search box finds each kind of id;
lists page; unknown things answer a real 404 page; addresses carry their roles by name; proposals and disputes
show their state; the outcome charts count what the database holds."""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import httpx
import pytest

from audit_v2_helpers import db_rows
from browser_helpers import LEAD_SHOTS, browser_page, cells, hrefs, require_chromium, save_screenshot
from node.api.server import BackgroundServer
from node.chain.devaccounts import dev_account
from node.explorer.app import create_app
from node.explorer.times import utc
from node.wallet.amounts import format_eth
from scenario import OWNER, VERIFIERS, WORKERS

sync_api = require_chromium()
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")
EPOCH = re.compile(r"\b1[6-9]\d{8}\b")  # a Unix time in seconds, 2020s-2030s


@pytest.fixture(scope="module")
def explorer(audited):
    server = BackgroundServer(create_app(audited[0])).start()
    yield audited[0], server.url
    server.stop()


@pytest.fixture(scope="module")
def page(explorer):
    with browser_page(sync_api) as p:
        yield p


def chain_time(history, block: int) -> str:
    return utc(history.ledger.w3.eth.get_block(block)["timestamp"])


def test_tx_page_shows_what_the_chain_says(history, explorer, page, tmp_path):
    db, url = explorer
    (claim,) = db_rows(db, "select * from claims where claim_id = ?", (history.fraud,))
    receipt = history.ledger.w3.eth.get_transaction_receipt(claim["tx_hash"])
    page.goto(f"{url}/claim/{history.fraud}")
    page.click(f'a.tx[href="/tx/{claim["tx_hash"]}"]')
    page.wait_for_selector("dl.facts")
    assert page.url == f"{url}/tx/{claim['tx_hash']}"
    fact = dict(zip(page.eval_on_selector_all("dl.facts dt", "ds => ds.map(d => d.innerText)"),
                    page.eval_on_selector_all("dl.facts dd", "ds => ds.map(d => d.innerText.trim())")))
    assert page.get_attribute("dl.facts dd a.addr", "title") == claim["worker"] == receipt["from"]
    assert fact["function"].startswith("submit claim")
    assert fact["value"] == "0 ETH"
    assert fact["gas used"] == f"{receipt['gasUsed']:,}"
    assert fact["status"] == "success"
    assert fact["block"] == f"{receipt['blockNumber']:,}"
    assert UTC_TIME.match(fact["time"].split(" UTC")[0] + " UTC")
    assert hrefs(page, "dl.facts dd a.block") == [f"/block/{receipt['blockNumber']}"]
    emitted = [r[0] for r in cells(page, "events")]
    assert emitted == [e["name"] for e in db_rows(db, "select name from events where tx_hash = ? order by log_index",
                                                  (claim["tx_hash"],))]
    assert "ClaimSubmitted" in emitted
    save_screenshot(page, tmp_path, "explorer-tx", LEAD_SHOTS)

    (create,) = db_rows(db, "select tx_hash from events where name = 'JobCreated'")
    page.goto(f"{url}/tx/{create['tx_hash']}")
    assert page.inner_text("span.function") == "create job"
    value = page.eval_on_selector_all("dl.facts dt", "ds => ds.map(d => d.nextElementSibling.innerText)")[
        page.eval_on_selector_all("dl.facts dt", "ds => ds.map(d => d.innerText)").index("value")]
    assert value == format_eth(history.ledger.w3.eth.get_transaction(create["tx_hash"])["value"]) == "20 ETH"


def test_block_page_shows_header_time_and_transactions(history, explorer, page, tmp_path):
    db, url = explorer
    (claim,) = db_rows(db, "select * from claims where claim_id = ?", (history.honest,))
    number = claim["submit_block"]
    header = history.ledger.w3.eth.get_block(number)
    page.goto(f"{url}/claims")
    page.click(f'table#claims a.block[href="/block/{number}"]')
    page.wait_for_selector("dl.facts")
    text = page.inner_text("dl.facts")
    assert header["hash"].to_0x_hex() in text
    assert page.get_attribute("dl.facts a.block[title]", "title") == header["parentHash"].to_0x_hex()
    assert page.inner_text("dl.facts time") == utc(header["timestamp"])
    shown = hrefs(page, "table#txs a.tx")
    assert shown == [f"/tx/{t.to_0x_hex()}" for t in header["transactions"]]
    assert f"/tx/{claim['tx_hash']}" in shown
    save_screenshot(page, tmp_path, "explorer-block", LEAD_SHOTS)


MAIN_PAGES = ("/", "/claims", "/proposals", "/disputes", "/events", "/txs", "/addresses", "/charts", "/checks")


def test_every_link_on_the_main_pages_resolves(history, explorer, page):
    db, url = explorer
    pages = list(MAIN_PAGES) + [f"/claim/{history.fraud}", f"/disputes/{history.claim_dispute}",
                                f"/proposals/{history.wrong_head}", f"/address/{history.caught}"]
    links: set[str] = set()
    for path in pages:
        page.goto(url + path)
        links |= {h for h in hrefs(page, "a[href]") if h.startswith("/")}
        assert all(u.startswith(url) for u in page.requests), "only the explorer's own assets"
    kinds = {urlsplit(h).path.split("/")[1] for h in links}
    assert {"tx", "block", "address", "claim", "disputes", "proposals", "checkpoint"} <= kinds
    with httpx.Client(base_url=url) as client:
        broken = [h for h in sorted(links) if client.get(h).status_code != 200]
    assert broken == []


def test_every_row_shows_its_blocks_time_as_a_readable_utc_date(history, explorer, page, tmp_path):
    db, url = explorer
    for path, table, block_column in (("/claims", "claims", 7), ("/", "heads-1", 3), ("/disputes", "disputes", 7),
                                      ("/events", "events", 1), ("/proposals", "proposals", 7)):
        page.goto(url + path)
        rows = page.eval_on_selector_all(
            f"table#{table} tbody tr:not(.empty)",
            "rows => rows.map(r => [r.querySelector('a.block').getAttribute('href'), r.querySelector('time')"
            ".innerText, r.querySelector('.ago').innerText])")
        assert rows, path
        for href, time_text, age in rows:
            assert UTC_TIME.match(time_text), (path, time_text)
            assert time_text == chain_time(history, int(href.rsplit("/", 1)[1])), (path, href)
            assert age.endswith("ago") or age == "just now"
        assert not EPOCH.search(page.inner_text("body")), f"an epoch number on {path}"
    page.goto(url + "/claims")
    save_screenshot(page, tmp_path, "explorer-claims", LEAD_SHOTS)


def search(page, url: str, query: str):
    page.goto(url + "/checks")
    page.fill("form.search input[name=q]", query)
    with page.expect_navigation() as nav:
        page.press("form.search input[name=q]", "Enter")
    return nav.value


def test_search_box_finds_each_kind(history, explorer, page, tmp_path):
    db, url = explorer
    (claim,) = db_rows(db, "select * from claims where claim_id = ?", (history.fraud,))
    (head,) = db_rows(db, "select * from heads where proposal_id = ?", (history.proposal,))
    (block,) = db_rows(db, "select hash from blocks where number = ?", (claim["submit_block"],))
    expect = {history.caught: f"/address/{history.caught}", f"claim {history.fraud}": f"/claim/{history.fraud}",
              claim["tx_hash"]: f"/tx/{claim['tx_hash']}", f"block {claim['submit_block']}":
              f"/block/{claim['submit_block']}", block["hash"]: f"/block/{claim['submit_block']}",
              head["head"]: f"/checkpoint/{head['head']}", f"dispute {history.claim_dispute}":
              f"/disputes/{history.claim_dispute}", f"proposal {history.wrong_head}": f"/proposals/{history.wrong_head}"}
    for query, path in expect.items():
        response = search(page, url, query)
        assert response.status == 200 and urlsplit(page.url).path == path, (query, page.url)
    # A bare number can be several things: each is offered.
    response = search(page, url, str(history.fraud))
    offered = hrefs(page, "ul.results a")
    assert f"/claim/{history.fraud}" in offered and f"/disputes/{history.fraud}" in offered
    # The new head is a checkpoint id: its page names the proposal that made it the head.
    search(page, url, head["head"])
    assert f"/proposals/{history.proposal}" in hrefs(page, "table#proposals a")
    response = search(page, url, "0x" + "ab" * 32)
    assert response.status == 404
    assert page.inner_text("p.not-found") == f"nothing found for {'0x' + 'ab' * 32}"
    assert page.query_selector("main form.search") is not None
    save_screenshot(page, tmp_path, "explorer-search-nothing-found", LEAD_SHOTS)


def test_lists_page_with_previous_and_next(history, explorer, page):
    db, url = explorer
    events = db_rows(db, "select block, log_index, name from events order by block desc, log_index desc")
    assert len(events) > 10
    page.goto(url + "/events?size=4")
    seen = []
    while True:
        seen += [(int(r[1].replace(",", "")), int(r[3]), r[0]) for r in cells(page, "events")]
        nxt = page.query_selector("nav.pager a[rel=next]")
        if nxt is None:
            break
        nxt.click()
        page.wait_for_load_state()
    assert seen == [(e["block"], e["log_index"], e["name"]) for e in events]
    assert page.get_attribute("nav.pager", "data-pages") == str(-(-len(events) // 4))
    page.click("nav.pager a[rel=prev]")
    assert "page=" in page.url and "size=4" in page.url
    claims = db_rows(db, "select claim_id from claims order by claim_id")
    page.goto(url + "/claims?size=2&page=2")
    assert [r[0] for r in cells(page, "claims")] == [f"claim #{c['claim_id']}" for c in claims[2:4]]
    for path in ("/disputes?size=1&page=2", "/proposals?size=1", "/addresses?size=3", "/txs?size=3", "/?size=1"):
        page.goto(url + path)
        assert page.query_selector("nav.pager") is not None, path
    bad = httpx.get(url + "/claims?page=0")
    assert bad.status_code == 400 and "?page='0'" in html.unescape(bad.text) and "whole number" in bad.text


def test_unknown_things_answer_a_404_page_with_the_layout_and_a_search_box(history, explorer, page, tmp_path):
    db, url = explorer
    unknown = {"/claim/999": "claim #999", f"/address/{dev_account(15).address}": dev_account(15).address,
               "/tx/0x" + "00" * 32: "transaction 0x" + "00" * 32, "/block/99999999": "block 99,999,999",
               "/no/such/page": "/no/such/page", "/claim/abc": "/claim/abc", "/disputes/999": "dispute #999",
               "/proposals/999": "head proposal #999", "/checkpoint/0x" + "cd" * 32: "checkpoint"}
    for path, named in unknown.items():
        response = page.goto(url + path)
        assert response.status == 404, path
        assert named in page.inner_text("p.not-found"), path
        assert page.query_selector("header nav a[href='/claims']") is not None
        assert page.query_selector("main form.search input[name=q]") is not None
    page.goto(url + "/block/99999999")
    save_screenshot(page, tmp_path, "explorer-404", LEAD_SHOTS)
    assert httpx.get(url + "/api/disputes/999").json()["detail"].startswith("dispute 999")


def test_addresses_page_names_every_role(history, explorer, page, tmp_path):
    db, url = explorer
    page.goto(url + "/addresses?size=500")
    roles = {a: set(r[1].split(", ")) for a, r in zip(
        page.eval_on_selector_all("table#roles tbody tr td:first-child a", "as => as.map(a => a.title)"),
        cells(page, "roles"))}
    assert "job owner" in roles[dev_account(OWNER).address]
    for i in WORKERS:
        assert "worker" in roles[dev_account(i).address]
    for i in VERIFIERS:
        assert "verifier" in roles[dev_account(i).address]
    for juror in history.jurors[history.claim_dispute]:
        assert "juror" in roles[juror]
    for p in db_rows(db, "select proposer from proposals"):
        assert "aggregator" in roles[p["proposer"]]
    for c in db_rows(db, "select challenger from challenges"):
        assert "challenger" in roles[c["challenger"]]
    page.goto(url + f"/address/{history.dissenter}")
    assert "juror" in page.inner_text("p.roles")
    save_screenshot(page, tmp_path, "explorer-addresses", LEAD_SHOTS)


def test_proposal_and_dispute_pages_show_their_state(history, explorer, page, tmp_path):
    db, url = explorer
    page.goto(url + "/proposals")
    states = {r[0]: r[4] for r in cells(page, "proposals")}
    assert states[f"proposal #{history.wrong_head}"] == "Rejected challenged"
    assert states[f"proposal #{history.proposal}"] == "Accepted challenged"
    page.goto(url + f"/proposals/{history.wrong_head}")
    assert "Rejected" in page.inner_text("dl.facts") and "challenged" in page.inner_text("dl.facts")
    assert hrefs(page, "table#disputes tbody a[href^='/disputes/']") == [f"/disputes/{history.wrong_head_dispute}"]
    save_screenshot(page, tmp_path, "explorer-proposal", LEAD_SHOTS)
    page.goto(url + f"/disputes/{history.no_verdict_dispute}")
    assert "No verdict" in page.inner_text("dl.facts") and page.inner_text("p.verdict") == "no verdict"
    page.goto(url + "/claims")
    status = {r[0]: r[4] for r in cells(page, "claims")}
    assert status[f"claim #{history.expired}"] == "Expired" and status[f"claim #{history.fraud}"] == "Rejected"


def test_charts_count_each_workers_claims_by_outcome(history, explorer, page, tmp_path):
    db, url = explorer
    page.goto(url + "/charts")
    drawn = page.eval_on_selector_all("svg#worker-outcomes rect.seg", "rs => rs.map(r => [r.dataset.account, "
                                      "r.dataset.outcome, +r.dataset.count])")
    expected = db_rows(db, "select worker, status, count(*) as n from claims group by worker, status")
    assert sorted(map(tuple, drawn)) == sorted((e["worker"], e["status"], e["n"]) for e in expected)
    assert all(u.startswith(url) for u in page.requests)
    save_screenshot(page, tmp_path, "explorer-charts", LEAD_SHOTS)
