"""HTML of the v2 explorer pages (same small escaped-markup helpers as pages.py)."""
from __future__ import annotations

from html import escape

from .pages import address, badge, checks_summary, code, eth, table


def claim_link(cid) -> str:
    return f'<a href="/claim/{int(cid)}">claim #{int(cid)}</a>'


def dispute_link(did) -> str:
    return f'<a href="/disputes/{int(did)}">dispute #{int(did)}</a>'


def proposal_link(pid) -> str:
    return f'<a href="/proposals/{int(pid)}">proposal #{int(pid)}</a>'


def subject_link(kind: str, sid) -> str:
    return {"claim": claim_link, "dispute": dispute_link, "proposal": proposal_link}[kind](sid)


def _facts(facts: list[tuple[str, str]]) -> str:
    return '<dl class="facts">' + "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"


def _money(rows: list[dict], table_id: str, kind: str) -> str:
    col = "reason"
    return table(table_id, ["account", "role", "reason", "ETH", "subject"],
                 [[address(r["account"]), escape(r["role"]), escape(r[col]), eth(r["amount"]),
                   subject_link(r["subject_kind"], r["subject_id"])] for r in rows], "none")


def _dispute_rows(disputes: list[dict]) -> str:
    return table("disputes", ["dispute", "kind", "subject", "status", "segments", "faulty mask", "attempts"],
                 [[dispute_link(d["dispute_id"]), escape(d["kind"]),
                   (claim_link if d["kind"] == "Claim" else proposal_link)(d["subject_id"]), badge(d["status"]),
                   escape(", ".join(map(str, d["segments"] or []))),
                   escape("—" if d["faulty_mask"] is None else bin(d["faulty_mask"])), str(d["attempts"])]
                  for d in disputes], "no disputes")


def _average_verdicts(checks: list[dict]) -> dict[int, str]:
    """proposal id -> the audit's head_average verdict on it (rounds without accepted claims have none)."""
    found = [c for c in checks if c["name"] == "head_average"]
    return {e["proposal"]: e["status"] for c in found for e in c["evidence"] if e.get("proposal") is not None}


def home(jobs: list[dict], heads: dict[int, list[dict]], checks: list[dict]) -> str:
    parts = [f"<h1>Chain of heads</h1>{checks_summary(checks)}"]
    averages = _average_verdicts(checks)
    for job in jobs:
        rows = [[str(h["round"]), code(h["head"]), code(h["parent"]), str(h["block"]),
                 proposal_link(h["proposal_id"]) if h["proposal_id"] else "genesis",
                 dispute_link(h["dispute_id"]) if h.get("dispute_id") else "",
                 badge(averages[h["proposal_id"]]) if h["proposal_id"] in averages else "—"]
                for h in heads[job["job_id"]]]
        parts.append(f'<section class="job"><h2>Job {job["job_id"]} <small>round {job["round"]}</small></h2>'
                     f'<p class="terms">owner {address(job["owner"])} · escrow {eth(job["escrow"])} ETH '
                     f'(+{eth(job["reserved"])} reserved)</p>'
                     + table(f"heads-{job['job_id']}", ["round", "head", "parent", "block", "proposal", "dispute",
                                                        "mean of results"], rows, "no heads") + "</section>")
    return "".join(parts)


def claims_page(claims: list[dict]) -> str:
    rows = [[claim_link(c["claim_id"]), str(c["job_id"]), str(c["round"]), address(c["worker"]), badge(c["status"]),
             str(c["approvals"]), dispute_link(c["dispute_id"]) if c["dispute_id"] else ""] for c in claims]
    return "<h1>Claims</h1>" + table("claims", ["claim", "job", "round", "worker", "status", "approvals", "dispute"],
                                     rows, "no claims")


def claim_page(c: dict) -> str:
    facts = [("claim", f'#{c["claim_id"]}'), ("job", str(c["job_id"])), ("round", str(c["round"])),
             ("worker", address(c["worker"])), ("status", badge(c["status"])), ("base", code(c["base"])),
             ("result", code(c["result"])), ("transcript root", code(c["transcript_root"])),
             ("steps", f'{c["steps"]} ({c["segments"]} segments)'), ("submitted in block", str(c["submit_block"])),
             ("seat count", str(c["seat_count"])), ("seed", code(c["seed"]) + f' (hash of block {c["seed_block"]})'),
             ("finalized in block", str(c["finalized_block"] or "—"))]
    approved = {a["position"] for a in c["approvals"]}
    committee = table("committee", ["position", "seat", "member", "approved"],
                      [[str(m["position"]), str(m["seat_index"]), address(m["account"]),
                        "✓" if m["position"] in approved else ""] for m in c["committee"]], "seed not known")
    approvals = table("approvals", ["member", "seat", "position", "block"],
                      [[address(a["member"]), str(a["seat_index"]), str(a["position"]), str(a["block"])]
                       for a in c["approvals"]], "no approvals")
    return (f'<h1>Claim #{c["claim_id"]}</h1>{_facts(facts)}<h3>Committee</h3>{committee}'
            f'<h3>Approvals</h3>{approvals}<h3>Disputes</h3>{_dispute_rows(c["disputes"])}'
            f'<h3>Credits</h3>{_money(c["credits"], "credits", "credit")}'
            f'<h3>Slashes</h3>{_money(c["slashes"], "slashes", "slash")}')


def disputes_page(disputes: list[dict]) -> str:
    return "<h1>Disputes</h1>" + _dispute_rows(disputes)


def dispute_page(d: dict) -> str:
    subject = (claim_link if d["kind"] == "Claim" else proposal_link)(d["subject_id"])
    facts = [("dispute", f'#{d["dispute_id"]}'), ("kind", escape(d["kind"])), ("subject", subject),
             ("status", badge(d["status"])), ("opened in block", str(d["open_block"])),
             ("seat count (frozen)", str(d["seat_count"])),
             ("segments", escape(", ".join(map(str, d["segments"] or [])))),
             ("faulty mask", escape("—" if d["faulty_mask"] is None else bin(d["faulty_mask"]))),
             ("reveals", str(d["reveals"] if d["reveals"] is not None else "—")),
             ("resolved in block", str(d["resolved_block"] or "—"))]
    challengers = table("challengers", ["challenger", "named segments", "held against (draw)", "block"],
                        [[address(c["challenger"]), escape(", ".join(map(str, c["segments"]))),
                          " ".join(f'{address(a)} ({i})' for a, i in zip(c["approvers"], c["draw_indices"])
                                   if a != "0x" + "00" * 20) or "—", str(c["block"])]
                         for c in d["challengers"]], "no challengers")
    attempts = []
    for a in d["attempts"]:
        votes = {v["juror"].lower(): v for v in a["votes"]}
        rows = []
        for j in a["jurors"]:
            v = votes.get((j["account"] or "").lower())
            rows.append([str(j["seat_index"]), address(j["account"]), "committed" if v else "—",
                         ("—" if v is None or v["verdicts"] is None else bin(v["verdicts"])),
                         str(v["reveal_block"]) if v and v["reveal_block"] else ""])
        attempts.append(f'<h4>Attempt {a["attempt"]} <small>seed block {a["seed_block"]}, '
                        f'{escape(a["closed_by"] or "open")}</small></h4>'
                        + table(f'jury-{a["attempt"]}', ["seat", "juror", "commit", "reveal (verdicts)",
                                                         "revealed in block"], rows, "jury not seated yet"))
    verdict = ("—" if d["status"] == "Open" else
               "no verdict" if d["status"] == "NoVerdict" else
               ("faulty: " + bin(d["faulty_mask"])) if d["faulty_mask"] else "no fault")
    return (f'<h1>Dispute #{d["dispute_id"]}</h1>{_facts(facts)}<h3>Challengers</h3>{challengers}'
            f'<h3>Juries</h3>{"".join(attempts)}<h3>Verdict</h3><p class="verdict">{escape(verdict)}</p>'
            f'<h3>Slashes</h3>{_money(d["slashes"], "slashes", "slash")}'
            f'<h3>Credits</h3>{_money(d["credits"], "credits", "credit")}')


def proposal_page(p: dict) -> str:
    facts = [("proposal", f'#{p["proposal_id"]}'), ("job", str(p["job_id"])), ("round", str(p["round"])),
             ("proposer", address(p["proposer"])), ("status", badge(p["status"])), ("parent", code(p["parent"])),
             ("new head", code(p["new_head"])), ("accepted claims root", code(p["accepted_claims_root"])),
             ("proposed in block", str(p["propose_block"])), ("finalized in block", str(p["finalized_block"] or "—"))]
    return f'<h1>Head proposal #{p["proposal_id"]}</h1>{_facts(facts)}<h3>Disputes</h3>{_dispute_rows(p["disputes"])}'


def addresses_page(stakes: list[dict]) -> str:
    rows = [[address(s["account"]), escape(s["role"]), eth(s["active"]), eth(s["locked"]), eth(s["unbonding"]),
             eth(s["credit"]), eth(s["slashed"])] for s in stakes]
    return "<h1>Addresses</h1>" + table("addresses", ["address", "role", "active", "locked", "unbonding", "credit",
                                                      "slashed"], rows, "no stakes")


def address_page(account: str, stakes: list[dict], moves: dict) -> str:
    summary = addresses_page(stakes).removeprefix("<h1>Addresses</h1>")
    return (f'<h1>Address <code>{escape(account)}</code></h1>{summary}'
            f'<h3>Credits</h3>{_money(moves["credits"], "credits", "credit")}'
            f'<h3>Slashes</h3>{_money(moves["slashes"], "slashes", "slash")}')
