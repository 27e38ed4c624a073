"""HTML of the v2 explorer pages (same small escaped-markup helpers as pages.py). Every row that happened in a
block shows the block (a link) and its time; hashes link to their transaction, block or checkpoint page."""
from __future__ import annotations

from html import escape

from .pages import (address, badge, block_link, checkpoint_link, checks_summary, code, eth, table, tx_link)
from .paging import Paging
from .times import when


def claim_link(cid) -> str:
    return f'<a href="/claim/{int(cid)}">claim #{int(cid)}</a>'


def dispute_link(did) -> str:
    return f'<a href="/disputes/{int(did)}">dispute #{int(did)}</a>'


def proposal_link(pid) -> str:
    return f'<a href="/proposals/{int(pid)}">proposal #{int(pid)}</a>'


def subject_link(kind: str, sid) -> str:
    return {"claim": claim_link, "dispute": dispute_link, "proposal": proposal_link}[kind](sid)


def facts(rows: list[tuple[str, str]]) -> str:
    return '<dl class="facts">' + "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def at(block, time) -> str:
    """'block 1,234 · 2026-12-03 06:12:09 UTC 3 min ago' (or a dash: not happened yet)."""
    if block is None:
        return '<span class="none">—</span>'
    return f"block {block_link(block)} · {when(time)}"


def _money(rows: list[dict], table_id: str) -> str:
    return table(table_id, ["account", "role", "reason", "ETH", "subject", "block", "transaction"],
                 [[address(r["account"]), escape(r["role"]), escape(r["reason"]), eth(r["amount"]),
                   subject_link(r["subject_kind"], r["subject_id"]), block_link(r.get("block")),
                   tx_link(r.get("tx_hash"))] for r in rows], "none")


def dispute_state(d: dict) -> str:
    return badge("No verdict" if d["status"] == "NoVerdict" else d["status"])


def _dispute_rows(disputes: list[dict]) -> str:
    return table("disputes", ["dispute", "kind", "subject", "status", "segments", "faulty mask", "attempts",
                              "opened"],
                 [[dispute_link(d["dispute_id"]), escape(d["kind"]),
                   (claim_link if d["kind"] == "Claim" else proposal_link)(d["subject_id"]), dispute_state(d),
                   escape(", ".join(map(str, d["segments"] or []))),
                   escape("—" if d["faulty_mask"] is None else bin(d["faulty_mask"])), str(d["attempts"]),
                   at(d["open_block"], d.get("time"))]
                  for d in disputes], "no disputes")


def _average_verdicts(checks: list[dict]) -> dict[int, str]:
    """proposal id -> the audit's head_average verdict on it (rounds without accepted claims have none)."""
    found = [c for c in checks if c["name"] == "head_average"]
    return {e["proposal"]: e["status"] for c in found for e in c["evidence"] if e.get("proposal") is not None}


def head_rows(heads: list[dict], averages: dict[int, str]) -> list[list[str]]:
    return [[str(h["round"]), checkpoint_link(h["head"]), checkpoint_link(h["parent"]), block_link(h["block"]),
             when(h.get("time")), proposal_link(h["proposal_id"]) if h["proposal_id"] else "genesis",
             dispute_link(h["dispute_id"]) if h.get("dispute_id") else "",
             badge(averages[h["proposal_id"]]) if h["proposal_id"] in averages else "—"]
            for h in heads]


HEAD_COLUMNS = ["round", "head", "parent", "block", "time", "proposal", "dispute", "mean of results"]


def home(jobs: list[dict], heads: dict[int, tuple[list[dict], int]], checks: list[dict], paging: Paging) -> str:
    parts = [f"<h1>Chain of heads</h1>{checks_summary(checks)}"]
    averages = _average_verdicts(checks)
    for job in jobs:
        rows, total = heads[job["job_id"]]
        parts.append(f'<section class="job"><h2>Job {job["job_id"]} <small>round {job["round"]}</small></h2>'
                     f'<p class="terms">owner {address(job["owner"])} · escrow {eth(job["escrow"])} ETH '
                     f'(+{eth(job["reserved"])} reserved) · created in block {block_link(job.get("created_block"))}'
                     "</p>" + table(f"heads-{job['job_id']}", HEAD_COLUMNS, head_rows(rows, averages), "no heads")
                     + paging.nav("/", total) + "</section>")
    if not jobs:
        parts.append('<p class="none">No jobs on this ledger yet.</p>')
    return "".join(parts)


def claim_rows(claims: list[dict]) -> list[list[str]]:
    return [[claim_link(c["claim_id"]), str(c["job_id"]), str(c["round"]), address(c["worker"]), badge(c["status"]),
             str(c["approvals"]), dispute_link(c["dispute_id"]) if c["dispute_id"] else "",
             block_link(c["submit_block"]), when(c.get("time")), tx_link(c.get("tx_hash"))] for c in claims]


CLAIM_COLUMNS = ["claim", "job", "round", "worker", "status", "approvals", "dispute", "block", "submitted",
                 "transaction"]


def claims_page(claims: list[dict], total: int, paging: Paging) -> str:
    return ("<h1>Claims</h1>" + table("claims", CLAIM_COLUMNS, claim_rows(claims), "no claims")
            + paging.nav("/claims", total))


def claim_page(c: dict) -> str:
    rows = [("claim", f'#{c["claim_id"]}'), ("job", str(c["job_id"])), ("round", str(c["round"])),
            ("worker", address(c["worker"])), ("status", badge(c["status"])), ("base", checkpoint_link(c["base"])),
            ("result", checkpoint_link(c["result"])), ("transcript root", code(c["transcript_root"])),
            ("steps", f'{c["steps"]} ({c["segments"]} segments)'),
            ("submitted", at(c["submit_block"], c.get("time"))), ("transaction", tx_link(c.get("tx_hash"))),
            ("seat count", str(c["seat_count"])),
            ("seed", code(c["seed"]) + f' (hash of block {block_link(c["seed_block"])})'),
            ("finalized", at(c["finalized_block"], c.get("finalized_time")))]
    approved = {a["position"] for a in c["approvals"]}
    committee = table("committee", ["position", "seat", "member", "approved"],
                      [[str(m["position"]), str(m["seat_index"]), address(m["account"]),
                        "✓" if m["position"] in approved else ""] for m in c["committee"]], "seed not known")
    approvals = table("approvals", ["member", "seat", "position", "block", "time", "transaction"],
                      [[address(a["member"]), str(a["seat_index"]), str(a["position"]), block_link(a["block"]),
                        when(a.get("time")), tx_link(a.get("tx_hash"))] for a in c["approvals"]], "no approvals")
    return (f'<h1>Claim #{c["claim_id"]}</h1>{facts(rows)}<h3>Committee</h3>{committee}'
            f'<h3>Approvals</h3>{approvals}<h3>Disputes</h3>{_dispute_rows(c["disputes"])}'
            f'<h3>Credits</h3>{_money(c["credits"], "credits")}'
            f'<h3>Slashes</h3>{_money(c["slashes"], "slashes")}')


def disputes_page(disputes: list[dict], total: int, paging: Paging) -> str:
    return "<h1>Disputes</h1>" + _dispute_rows(disputes) + paging.nav("/disputes", total)


def dispute_page(d: dict) -> str:
    subject = (claim_link if d["kind"] == "Claim" else proposal_link)(d["subject_id"])
    rows = [("dispute", f'#{d["dispute_id"]}'), ("kind", escape(d["kind"])), ("subject", subject),
            ("status", dispute_state(d)), ("opened", at(d["open_block"], d.get("time"))),
            ("seat count (frozen)", str(d["seat_count"])),
            ("segments", escape(", ".join(map(str, d["segments"] or [])))),
            ("faulty mask", escape("—" if d["faulty_mask"] is None else bin(d["faulty_mask"]))),
            ("reveals", str(d["reveals"] if d["reveals"] is not None else "—")),
            ("resolved", at(d["resolved_block"], d.get("resolved_time"))),
            ("resolving transaction", tx_link(d.get("resolved_tx")))]
    challengers = table("challengers", ["challenger", "named segments", "held against (draw)", "block",
                                        "transaction"],
                        [[address(c["challenger"]), escape(", ".join(map(str, c["segments"]))),
                          " ".join(f'{address(a)} ({i})' for a, i in zip(c["approvers"], c["draw_indices"])
                                   if a != "0x" + "00" * 20) or "—", block_link(c["block"]), tx_link(c.get("tx_hash"))]
                         for c in d["challengers"]], "no challengers")
    attempts = []
    for a in d["attempts"]:
        votes = {v["juror"].lower(): v for v in a["votes"]}
        jury = []
        for j in a["jurors"]:
            v = votes.get((j["account"] or "").lower())
            jury.append([str(j["seat_index"]), address(j["account"]), "committed" if v else "—",
                         ("—" if v is None or v["verdicts"] is None else bin(v["verdicts"])),
                         block_link(v["reveal_block"]) if v and v["reveal_block"] else ""])
        attempts.append(f'<h4>Attempt {a["attempt"]} <small>seed block {block_link(a["seed_block"])}, '
                        f'{escape(a["closed_by"] or "open")}</small></h4>'
                        + table(f'jury-{a["attempt"]}', ["seat", "juror", "commit", "reveal (verdicts)",
                                                         "revealed in block"], jury, "jury not seated yet"))
    verdict = ("—" if d["status"] == "Open" else
               "no verdict" if d["status"] == "NoVerdict" else
               ("faulty: " + bin(d["faulty_mask"])) if d["faulty_mask"] else "no fault")
    return (f'<h1>Dispute #{d["dispute_id"]}</h1>{facts(rows)}<h3>Challengers</h3>{challengers}'
            f'<h3>Juries</h3>{"".join(attempts)}<h3>Verdict</h3><p class="verdict">{escape(verdict)}</p>'
            f'<h3>Slashes</h3>{_money(d["slashes"], "slashes")}'
            f'<h3>Credits</h3>{_money(d["credits"], "credits")}')


def proposal_state(p: dict) -> str:
    """Its status, and 'challenged' beside it when a dispute was opened on it."""
    return badge(p["status"]) + (' <span class="badge challenged">challenged</span>' if p.get("dispute_id") else "")


def proposals_page(proposals: list[dict], total: int, paging: Paging) -> str:
    rows = [[proposal_link(p["proposal_id"]), str(p["job_id"]), str(p["round"]), address(p["proposer"]),
             proposal_state(p), checkpoint_link(p["new_head"]),
             dispute_link(p["dispute_id"]) if p.get("dispute_id") else "", at(p["propose_block"], p.get("time")),
             tx_link(p.get("tx_hash"))] for p in proposals]
    return ("<h1>Head proposals</h1>" + table("proposals", ["proposal", "job", "round", "aggregator", "state",
                                                            "new head", "dispute", "proposed", "transaction"],
                                              rows, "no head proposals") + paging.nav("/proposals", total))


def proposal_page(p: dict) -> str:
    rows = [("proposal", f'#{p["proposal_id"]}'), ("job", str(p["job_id"])), ("round", str(p["round"])),
            ("aggregator", address(p["proposer"])), ("state", proposal_state(p)),
            ("parent", checkpoint_link(p["parent"])), ("new head", checkpoint_link(p["new_head"])),
            ("accepted claims root", code(p["accepted_claims_root"])),
            ("proposed", at(p["propose_block"], p.get("time"))), ("transaction", tx_link(p.get("tx_hash"))),
            ("finalized", at(p["finalized_block"], p.get("finalized_time"))),
            ("finalizing transaction", tx_link(p.get("finalized_tx")))]
    return (f'<h1>Head proposal #{p["proposal_id"]}</h1>{facts(rows)}'
            f'<h3>Disputes</h3>{_dispute_rows(p["disputes"])}')


def stakes_table(stakes: list[dict]) -> str:
    rows = [[address(s["account"]), escape(s["role"]), eth(s["active"]), eth(s["locked"]), eth(s["unbonding"]),
             eth(s["credit"]), eth(s["slashed"])] for s in stakes]
    return table("addresses", ["address", "role", "active ETH", "locked ETH", "unbonding ETH", "credit ETH",
                               "slashed ETH"], rows, "no stakes")


def addresses_page(roles: list[tuple[str, list[str]]], stakes: list[dict], total: int, paging: Paging) -> str:
    rows = [[address(a), escape(", ".join(names))] for a, names in roles]
    return ("<h1>Addresses</h1><p class=\"terms\">Every address the ledger's events name, with what it did: "
            "stakes (worker, verifier), jobs it owns, juries it sat on, heads it proposed (aggregator), "
            "challenges it opened. A job owner's sentinel identities are, by design, indistinguishable on chain "
            "from other workers and verifiers.</p>"
            + table("roles", ["address", "roles"], rows, "no addresses") + paging.nav("/addresses", total)
            + "<h3>Stakes</h3>" + stakes_table(stakes))


def address_page(account: str, roles: list[str], stakes: list[dict], moves: dict, claims: list[dict],
                 txs_html: str) -> str:
    return (f'<h1>Address <code>{escape(account)}</code></h1>'
            f'<p class="roles">roles: {escape(", ".join(roles)) or "none"}</p>{stakes_table(stakes)}'
            f'<h3>Claims</h3>{table("claims", CLAIM_COLUMNS, claim_rows(claims), "no claims")}'
            f'<h3>Transactions</h3>{txs_html}'
            f'<h3>Credits</h3>{_money(moves["credits"], "credits")}'
            f'<h3>Slashes</h3>{_money(moves["slashes"], "slashes")}')
