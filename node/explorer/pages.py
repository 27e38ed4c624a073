"""HTML for the explorer: small functions returning escaped markup, no template engine, no external assets
(the page bodies are v2_pages.py's)."""
from __future__ import annotations

from html import escape
from typing import Any, Iterable

WEI_PER_ETH = 10**18


def eth(wei: int | str | None) -> str:
    if wei is None:
        return ""
    value = int(wei) / WEI_PER_ETH
    return f"{value:,.4f}"


def short(hex_value: str | None, keep: int = 10) -> str:
    if not hex_value:
        return ""
    return hex_value if len(hex_value) <= keep + 4 else f"{hex_value[:keep]}…{hex_value[-4:]}"


def code(hex_value: str | None) -> str:
    """A hash shown short, the whole value in its title (and copyable)."""
    if not hex_value:
        return '<span class="none">—</span>'
    return f'<code title="{escape(hex_value)}">{escape(short(hex_value))}</code>'


def address(account: str | None) -> str:
    if not account:
        return '<span class="none">—</span>'
    return f'<a class="addr" href="/address/{escape(account)}" title="{escape(account)}">{escape(short(account, 8))}</a>'


def badge(status: str | None) -> str:
    status = status or "unknown"
    return f'<span class="badge {escape(status.lower().replace(" ", "-"))}">{escape(status)}</span>'


def link(url: str | None, text: str) -> str:
    if not url:
        return '<span class="none">—</span>'
    return f'<a class="evidence" href="{escape(url)}" rel="nofollow noopener">{escape(text)}</a>'


def table(table_id: str, headers: list[str], rows: Iterable[list[str]], empty: str = "nothing yet") -> str:
    """A table whose cells are already-escaped markup; data-* attributes let tests and scripts read it."""
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        body = f'<tr class="empty"><td colspan="{len(headers)}">{escape(empty)}</td></tr>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f'<table id="{escape(table_id)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def tx_link(tx_hash: str | None) -> str:
    if not tx_hash:
        return '<span class="none">—</span>'
    return f'<a class="tx" href="/tx/{escape(tx_hash)}" title="{escape(tx_hash)}">{escape(short(tx_hash))}</a>'


def block_link(number: int | str | None) -> str:
    if number is None or number == "":
        return '<span class="none">—</span>'
    return f'<a class="block" href="/block/{int(number)}">{int(number):,}</a>'


def block_hash_link(block_hash: str | None, number: int | None) -> str:
    if not block_hash or number is None:
        return code(block_hash)
    return f'<a class="block" href="/block/{int(number)}" title="{escape(block_hash)}">{escape(short(block_hash))}</a>'


def checkpoint_link(checkpoint: str | None) -> str:
    """A head or claim result (a checkpoint id): the page of where it appears."""
    if not checkpoint:
        return '<span class="none">—</span>'
    return (f'<a class="checkpoint" href="/checkpoint/{escape(checkpoint)}">'
            f'<code title="{escape(checkpoint)}">{escape(short(checkpoint))}</code></a>')


def search_box(query: str = "") -> str:
    return ('<form class="search" action="/search" method="get" role="search">'
            f'<input type="search" name="q" value="{escape(query)}" size="44" '
            'placeholder="address, claim id, tx hash, block number, head or checkpoint id" aria-label="search">'
            '<button type="submit">search</button></form>')


NAV = (("/", "heads"), ("/claims", "claims"), ("/proposals", "proposals"), ("/disputes", "disputes"),
       ("/events", "events"), ("/txs", "transactions"), ("/addresses", "addresses"), ("/charts", "charts"),
       ("/checks", "audit"))


def layout(title: str, meta: dict, body: str, sync: str = "", query: str = "") -> str:
    where = ""
    if meta:
        audited = meta.get("snapshot_block")
        where = (f'ledger <code>{escape(meta.get("address", "?"))}</code> on chain {escape(meta.get("chain_id", "?"))}'
                 + (f', audit checks at block {block_link(audited)}' if audited else ", not audited yet"))
    links = "".join(f'<a href="{href}">{escape(text)}</a>' for href, text in NAV)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · gradchain explorer</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><header><a class="brand" href="/">gradchain explorer</a>
<nav>{links}</nav>{search_box(query)}
<p class="where">{where}</p><p class="sync" id="sync">{sync}</p></header>
<main>{body}</main>
<footer>Everything here was rebuilt from chain events by <code>gradchain audit</code>;
artifacts link to the workers' servers.</footer>
</body></html>"""


def checks_summary(checks: list[dict]) -> str:
    if not checks:
        return '<p class="none">No audit results yet: run <code>gradchain audit</code>.</p>'
    rows = [[escape(c["name"]), badge(c["status"]), escape(c["summary"])] for c in checks]
    return table("checks", ["check", "status", "evidence"], rows)


def checks_page(checks: list[dict]) -> str:
    parts = [checks_summary(checks)]
    for c in checks:
        problems = [e for e in c["evidence"] if e.get("status") in ("fail", "unverifiable")]
        if problems:
            items = "".join(f'<li>{badge(e["status"])} {escape(_details(e))}</li>' for e in problems[:200])
            parts.append(f'<h3>{escape(c["name"])}</h3><ul class="evidence-list">{items}</ul>')
    return "<h1>Audit</h1>" + "".join(parts)


def _details(item: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in item.items() if k != "status")
