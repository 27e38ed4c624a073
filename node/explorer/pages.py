"""HTML for the explorer: small functions returning escaped markup, no template engine, no external assets."""
from __future__ import annotations

import json
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


def layout(title: str, meta: dict, body: str) -> str:
    where = ""
    if meta:
        where = (f'ledger <code>{escape(meta.get("address", "?"))}</code> on chain {escape(meta.get("chain_id", "?"))}, '
                 f'audited at block {escape(meta.get("snapshot_block", "—"))}')
    disputes = '<a href="/disputes">disputes</a>' if meta.get("ledger_version") == "2" else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · gradchain explorer</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><header><a class="brand" href="/">gradchain explorer</a>
<nav><a href="/">heads</a><a href="/claims">claims</a>{disputes}<a href="/addresses">addresses</a><a href="/checks">audit</a></nav>
<p class="where">{where}</p></header>
<main>{body}</main>
<footer>Everything here was rebuilt from chain events by <code>gradchain audit</code>;
artifacts link to the workers' servers.</footer>
<script src="/static/chart.js"></script>
</body></html>"""


def checks_summary(checks: list[dict]) -> str:
    if not checks:
        return '<p class="none">No audit results yet: run <code>gradchain audit</code>.</p>'
    rows = [[escape(c["name"]), badge(c["status"]), escape(c["summary"])] for c in checks]
    return table("checks", ["check", "status", "evidence"], rows)


def chart(job_id: int, metrics: list[dict]) -> str:
    """The data of the metrics chart; static/chart.js draws it as SVG."""
    points = [{"round": m["round"], "head": m["head"], "loss": m["loss"], "accuracy": m["accuracy"],
               "perplexity": m["perplexity"]} for m in metrics]
    data = escape(json.dumps(points))
    return (f'<figure class="chart-box"><figcaption>Held-out loss and accuracy of each head (job {job_id})'
            f'</figcaption><div class="metrics-chart" data-job="{job_id}" data-points="{data}"></div></figure>')


def heads_section(job: dict, heads: list[dict], metrics: list[dict]) -> str:
    rows = []
    for h in heads:
        claims = " ".join(f'<a href="/claim/{c}">#{c}</a>' for c in h["claims"]) or \
            f'<span class="none">{"genesis" if h["round"] == 0 else "none: head kept"}</span>'
        votes = "" if h["proposal_id"] is None else f'{h["head_approvals"]}✓ {h["head_rejections"]}✗'
        second = h["accuracy"] if h["accuracy"] is not None else h["perplexity"]
        rows.append([str(h["round"]), code(h["head"]), code(h["parent"]), str(h["block"]), claims, votes,
                     "" if h["loss"] is None else f'{h["loss"]:.4f}', "" if second is None else f"{second:.4f}",
                     badge(h["audit"])])
    second_name = "accuracy" if any(m["accuracy"] is not None for m in metrics) or not metrics else "perplexity"
    terms = (f'reward {eth(job["reward_per_claim"])} ETH, fee {eth(job["verifier_fee"])} ETH, quorum {job["quorum"]}, '
             f'escrow {eth(job["escrow"])} ETH (+{eth(job["reserved"])} reserved)')
    return (f'<section class="job" id="job-{job["job_id"]}"><h2>Job {job["job_id"]} <small>round {job["round"]}'
            f'</small></h2><p class="terms">owner {address(job["owner"])} · spec {code(job["spec_hash"])} · '
            f'{escape(terms)}</p>{chart(job["job_id"], metrics)}'
            + table(f"heads-{job['job_id']}", ["round", "head", "parent", "block", "averaged claims", "head votes",
                                               "held-out loss", f"held-out {second_name}", "audit"], rows,
                    "no heads yet")
            + "</section>")


def vote_cell(votes: list[dict]) -> str:
    parts = []
    for v in votes:
        mark = "✓" if v["approve"] else "✗"
        how = f'{v["via"]}' + ("" if v["signer"] else ", unauthorized")
        parts.append(f'<span class="vote {"yes" if v["approve"] else "no"}" title="{escape(how)}">{mark} '
                     f'{address(v["verifier"])}</span>')
    return " ".join(parts) or '<span class="none">none</span>'


def claims_table(claims: list[dict], table_id: str = "claims") -> str:
    rows = [[f'<a href="/claim/{c["claim_id"]}">#{c["claim_id"]}</a>', str(c["job_id"]), str(c["round"]),
             address(c["worker"]), badge(c["status"]), f'{c["approvals"]}✓ {c["rejections"]}✗', vote_cell(c["votes"]),
             link(c["transcript_url"], "transcript") + " " + link(c["result_url"], "result"),
             badge(c["reverify"]) if c["reverify"] else '<span class="none">—</span>']
            for c in claims]
    return table(table_id, ["claim", "job", "round", "worker", "status", "votes", "voters", "evidence", "replayed"],
                 rows, "no claims")


def claim_page(c: dict) -> str:
    facts = [("claim", f'#{c["claim_id"]}'), ("job", str(c["job_id"])), ("round", str(c["round"])),
             ("worker", address(c["worker"])), ("status", badge(c["status"])), ("base", code(c["base"])),
             ("result", code(c["result"]) + " " + link(c["result_url"], "download")),
             ("transcript root", code(c["transcript_root"]) + " " + link(c["transcript_url"], "download")),
             ("steps", str(c["steps"])), ("submitted in block", str(c["submit_block"])),
             ("seed", code(c["seed"]) + f' (hash of block {c["seed_block"]})'),
             ("finalized in block", str(c["finalized_block"] or "—"))]
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in facts)
    votes = table("votes", ["verifier", "vote", "seed", "block", "authorized by", "transaction"],
                  [[address(v["verifier"]), "approve" if v["approve"] else "reject", code(v["seed"]), str(v["block"]),
                    escape(v["via"]) + (f' ({address(v["signer"])})' if v["signer"] else " — none"),
                    code(v["tx_hash"])] for v in c["votes"]], "no votes")
    credits = table("credits", ["account", "reason", "ETH"],
                    [[address(r["account"]), escape(r["reason"]), eth(r["amount"])] for r in c["credits"]], "none")
    slashes = table("slashes", ["account", "role", "ETH"],
                    [[address(r["account"]), escape(r["role"]), eth(r["amount"])] for r in c["slashes"]], "none")
    replay = ""
    for r in c["reverify_detail"]:
        replay = (f'<h3>Full replay by the audit</h3><p>{badge(r["status"])} {escape(r["decision"])}</p>'
                  f'<pre>{escape(r["reason"])}</pre>')
    return (f'<h1>Claim #{c["claim_id"]}</h1><dl class="facts">{dl}</dl><h3>Votes</h3>{votes}'
            f'<h3>Credits</h3>{credits}<h3>Slashes</h3>{slashes}{replay}')


def addresses_table(addresses: list[dict]) -> str:
    rows = [[address(a["account"]), escape(", ".join(a["roles"])), eth(a["worker_stake"]), eth(a["verifier_stake"]),
             eth(a["rewards"]), eth(a["fees"]), eth(a["slash_shares"]), eth(a["slashed"]), eth(a["withdrawn"]),
             eth(a["credit"])] for a in addresses]
    return table("addresses", ["address", "roles", "worker stake", "verifier stake", "rewards", "fees",
                               "slash shares", "slashed", "withdrawn", "credit left"], rows, "no addresses")


def address_page(a: dict) -> str:
    summary = addresses_table([a])
    changes = table("stake-changes", ["role", "change", "ETH", "active after", "block", "claim"],
                    [[escape(s["role"]), escape(s["kind"]), eth(s["amount"]), eth(s["new_active"]), str(s["block"]),
                      f'<a href="/claim/{s["claim_id"]}">#{s["claim_id"]}</a>' if s["claim_id"] else ""]
                     for s in a["stake_changes"]], "no stake changes")
    credits = table("credits", ["claim", "reason", "ETH", "block"],
                    [[f'<a href="/claim/{r["claim_id"]}">#{r["claim_id"]}</a>', escape(r["reason"]), eth(r["amount"]),
                      str(r["block"])] for r in a["credits"]], "no credits")
    slashes = table("slashes", ["claim", "role", "ETH", "block"],
                    [[f'<a href="/claim/{r["claim_id"]}">#{r["claim_id"]}</a>', escape(r["role"]), eth(r["amount"]),
                      str(r["block"])] for r in a["slashes"]], "no slashes")
    withdrawals = table("withdrawals", ["ETH", "block", "transaction"],
                        [[eth(w["amount"]), str(w["block"]), code(w["tx_hash"])] for w in a["withdrawals"]], "none")
    votes = table("address-votes", ["claim", "vote", "block", "authorized by"],
                  [[f'<a href="/claim/{v["claim_id"]}">#{v["claim_id"]}</a>', "approve" if v["approve"] else "reject",
                    str(v["block"]), escape(v["via"])] for v in a["vote_list"]], "no votes")
    return (f'<h1>Address <code>{escape(a["account"])}</code></h1>{summary}<h3>Stake changes</h3>{changes}'
            f'<h3>Credits</h3>{credits}<h3>Slashes</h3>{slashes}<h3>Withdrawals</h3>{withdrawals}'
            f'<h3>Claims</h3>{claims_table(a["claim_list"], "address-claims")}<h3>Votes</h3>{votes}')


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
