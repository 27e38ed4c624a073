"""The explorer over a v2 audit database, over real HTTP: the dispute page shows its challengers, each jury attempt
with its seats, commits and reveals, the verdict and what it slashed and credited; the claim and head pages link
their disputes and show committee and approvals."""
from __future__ import annotations

import re

import httpx
import pytest

from node.api.server import BackgroundServer
from node.explorer.app import create_app


@pytest.fixture(scope="module")
def explorer(audited):
    server = BackgroundServer(create_app(audited[0])).start()
    yield server.url
    server.stop()


def table_rows(html: str, table_id: str) -> list[str]:
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_dispute_page_shows_jury_and_verdict(history, explorer):
    page = httpx.get(f"{explorer}/disputes/{history.claim_dispute}")
    assert page.status_code == 200
    html = page.text
    jurors = history.jurors[history.claim_dispute]
    rows = table_rows(html, "jury-0")
    assert len(rows) == len(jurors)
    for juror in jurors:
        assert f'/address/{juror}"' in html
    assert sum("0b1</td>" in r for r in rows) == len(jurors) - 1  # the majority's reveals; the dissenter's is 0b0
    assert '<p class="verdict">faulty: 0b1</p>' in html
    assert f'href="/claim/{history.fraud}"' in html
    slashes = " ".join(table_rows(html, "slashes"))
    for reason in ("claim_bond", "approval_bond", "juror_bond"):
        assert reason in slashes
    assert len(table_rows(html, "credits")) == len(jurors) - 1 + 1  # majority jurors and the challenger
    assert httpx.get(f"{explorer}/disputes/999").status_code == 404


def test_claim_and_head_pages_link_their_disputes(history, explorer):
    claim = httpx.get(f"{explorer}/claim/{history.fraud}").text
    assert f'href="/disputes/{history.claim_dispute}"' in claim
    assert len(table_rows(claim, "committee")) == 3 and len(table_rows(claim, "approvals")) == 2
    head = httpx.get(f"{explorer}/proposals/{history.proposal}").text
    assert f'href="/disputes/{history.head_dispute}"' in head and "Accepted" in head
    home = httpx.get(f"{explorer}/").text
    assert f'href="/proposals/{history.proposal}"' in home and 'href="/disputes"' in home
    for path in ("/claims", "/disputes", "/addresses", f"/address/{history.caught}", "/checks"):
        assert httpx.get(explorer + path).status_code == 200, path
