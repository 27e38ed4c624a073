"""HTML of the chain pages: a transaction, a block, the event log, the transactions list, a checkpoint, search
results, the sync line of every page, and the not-found / bad-request pages."""
from __future__ import annotations

import re
from html import escape
from typing import Any

from node.wallet.amounts import format_eth

from .pages import address, badge, block_hash_link, block_link, search_box, short, table, tx_link
from .paging import Paging
from .times import ago, when
from .v2_pages import CLAIM_COLUMNS, HEAD_COLUMNS, claim_rows, facts, head_rows, proposal_link

WEI_KEYS = re.compile(r"(amount|bond|fee|reward|escrow|stake|value|penalty|credit|balance)$", re.I)
BLOCK_KEYS = re.compile(r"(block|Block)$")


def words(name: str | None) -> str:
    """'submitClaim' -> 'submit claim'; a bracketed description is kept as it is."""
    if not name:
        return "—"
    if name.startswith("("):
        return name.strip("()")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()


def arg_value(key: str, value: Any) -> str:
    """An event argument as a person reads it: ETH amounts in ETH, blocks and addresses as links, hashes short."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        if WEI_KEYS.search(key):
            return escape(format_eth(value))
        if BLOCK_KEYS.search(key):
            return block_link(value)
        return escape(f"{value:,}" if abs(value) >= 10_000 else str(value))
    if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        return address(value)
    if isinstance(value, str) and value.startswith("0x"):
        return f'<code title="{escape(value)}">{escape(short(value))}</code>'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{escape(k)}: {arg_value(k, v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(arg_value(key, v) for v in value) + "]"
    return escape(str(value))


def args_summary(args: dict) -> str:
    return '<span class="args">' + "; ".join(f"{escape(k)} {arg_value(k, v)}" for k, v in args.items()) + "</span>"


def event_rows(events: list[dict], with_tx: bool = True) -> list[list[str]]:
    return [[escape(e["name"]), block_link(e["block"]), when(e.get("time")), str(e["log_index"])]
            + ([tx_link(e["tx_hash"])] if with_tx else []) + [args_summary(e["args"])] for e in events]


def events_table(events: list[dict], with_tx: bool = True) -> str:
    headers = ["event", "block", "time", "log index"] + (["transaction"] if with_tx else []) + ["details"]
    return table("events", headers, event_rows(events, with_tx), "no events")


def events_page(events: list[dict], total: int, paging: Paging, names: list[str], name: str | None) -> str:
    options = "".join(f'<option{" selected" if n == name else ""}>{escape(n)}</option>' for n in names)
    picker = (f'<form class="filter" action="/events" method="get"><select name="name"><option value="">every event'
              f'</option>{options}</select><button type="submit">show</button></form>')
    return ("<h1>Events</h1>" + picker + events_table(events) + paging.nav("/events", total, name=name or ""))


def tx_rows(txs: list[dict]) -> list[list[str]]:
    return [[tx_link(t["hash"]), block_link(t["block"]), when(t.get("time")), address(t["sender"]),
             address(t["target"]), escape(words(t["function"])), escape(format_eth(int(t["value"] or 0))),
             str(t.get("events", ""))] for t in txs]


def txs_table(txs: list[dict]) -> str:
    return table("txs", ["transaction", "block", "time", "from", "to", "function", "value", "ledger events"],
                 tx_rows(txs), "no transactions")


def txs_page(txs: list[dict], total: int, paging: Paging) -> str:
    return ('<h1>Transactions</h1><p class="terms">Every transaction of the blocks that hold a ledger event.</p>'
            + txs_table(txs) + paging.nav("/txs", total))


def tx_page(tx_hash: str, tx: dict | None, events: list[dict]) -> str:
    if tx is None:  # a database from before transactions were read: what its events say
        first = events[0]
        rows = [("transaction", f'<code>{escape(tx_hash)}</code>'), ("block", block_link(first["block"])),
                ("time", when(first.get("time"))),
                ("details", '<span class="none">not read by this audit: run <code>gradchain audit</code> '
                            'again</span>')]
    else:
        status = {1: badge("success"), 0: badge("reverted")}.get(tx["status"], badge("unknown"))
        rows = [("transaction", f'<code>{escape(tx["hash"])}</code>'), ("status", status),
                ("block", block_link(tx["block"])), ("time", when(tx.get("time"))),
                ("from", address(tx["sender"])),
                ("to", address(tx["target"]) if tx["target"] else '<span class="none">(new contract)</span>'),
                ("function", f'<span class="function">{escape(words(tx["function"]))}</span>'
                             + (f' <code>{escape(tx["function"])}</code>' if not tx["function"].startswith("(")
                                else "")),
                ("value", escape(format_eth(int(tx["value"] or 0)))),
                ("gas used", escape(f'{tx["gas_used"]:,}') if tx["gas_used"] is not None else "—"),
                ("position in block", str(tx["tx_index"]))]
    return (f'<h1>Transaction <code>{escape(short(tx_hash, 18))}</code></h1>{facts(rows)}'
            f'<h3>Ledger events it emitted</h3>{events_table(events, with_tx=False)}')


def block_page(number: int, block: dict | None, txs: list[dict], events: list[dict], latest: int,
               parent_known: bool) -> str:
    nav = (f'<p class="pager">{"← " + block_link(number - 1) if parent_known else ""} · '
           f'{block_link(number + 1) + " →" if number < latest else ""}</p>')
    if block is None or block.get("timestamp") is None:
        rows = [("block", f"{number:,}"), ("hash", block_hash_link(block["hash"], number) if block else "—"),
                ("time", '<span class="none">not read: this block holds no ledger event</span>')]
    else:
        rows = [("block", f"{number:,}"), ("hash", f'<code>{escape(block["hash"])}</code>'),
                ("parent", block_hash_link(block["parent_hash"], number - 1) if parent_known
                 else f'<code>{escape(block["parent_hash"])}</code> (before the ledger was deployed)'),
                ("time", when(block["timestamp"])), ("transactions", str(block.get("tx_count") or 0))]
    return (f"<h1>Block {number:,}</h1>{nav}{facts(rows)}<h3>Transactions</h3>{txs_table(txs)}"
            f"<h3>Ledger events</h3>{events_table(events)}")


def checkpoint_page(checkpoint: str, found: dict) -> str:
    proposals = table("proposals", ["proposal", "job", "round", "as", "status"],
                      [[proposal_link(p["proposal_id"]), str(p["job_id"]), str(p["round"]),
                        "new head" if p["new_head"].lower() == checkpoint.lower() else "parent", badge(p["status"])]
                       for p in found["proposals"]], "not proposed")
    claims = table("claims", CLAIM_COLUMNS, claim_rows(found["claims"]), "no claim names it")
    heads = table("heads", ["job"] + HEAD_COLUMNS,
                  [[str(h["job_id"])] + row for h, row in zip(found["heads"], head_rows(found["heads"], {}))],
                  "never a head")
    return (f'<h1>Checkpoint <code>{escape(short(checkpoint, 18))}</code></h1>'
            f'<p><code>{escape(checkpoint)}</code></p>'
            f'<h3>Head of</h3>{heads}'
            f'<h3>Head proposals</h3>{proposals}<h3>Claims (as base or result)</h3>{claims}')


def search_results(query: str, found: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{escape(url)}">{escape(label)}</a></li>' for label, url in found)
    return f'<h1>Results for “{escape(query)}”</h1><ul class="results">{items}</ul>'


def not_found_page(what: str, query: str = "") -> str:
    return (f'<h1>Not found</h1><p class="not-found">{escape(what)}</p>'
            "<p>Search for an address, a claim id, a transaction hash, a block number, or a head or checkpoint id:</p>"
            f"{search_box(query)}")


def bad_request_page(why: str) -> str:
    return f'<h1>Bad request</h1><p class="bad-request">{escape(why)}</p>'


def sync_line(cursor: dict | None) -> str:
    """'synced to block 1,234, 12 s ago (live)' — how fresh the pages are."""
    if cursor is None:
        return "not synced yet: run <code>gradchain audit</code>"
    age = f", {escape(ago(cursor['synced_at']))}" if cursor.get("synced_at") else ""
    live = " · live" if cursor.get("live") else ""
    error = (f' · <span class="sync-error">last sync failed: {escape(cursor["live_error"][:200])}</span>'
             if cursor.get("live_error") else "")
    return f'synced to block <span id="synced-block">{block_link(cursor["block"])}</span>{age}{live}{error}'
