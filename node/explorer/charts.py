"""The training charts as inline SVG (no script, no external asset): each worker's claims by outcome and each
aggregator's head proposals by outcome, as shares of 100 %, with the counts beside them."""
from __future__ import annotations

from html import escape

from .pages import short

CLAIM_OUTCOMES = (("Accepted", "pass"), ("Rejected", "fail"), ("Expired", "warn"), ("Pending", "muted"))
PROPOSAL_OUTCOMES = (("Accepted", "pass"), ("Rejected", "fail"), ("Dropped", "warn"), ("Pending", "muted"))
BAR_W, ROW_H, LABEL_W = 520, 26, 130


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "—"


def share_bars(chart_id: str, title: str, rows: list[tuple[str, dict[str, int]]], outcomes) -> str:
    """One horizontal bar per row (an account), split by outcome; each segment titled 'Accepted: 2 of 3 (67 %)'."""
    if not rows:
        return f'<p class="none">{escape(title)}: nothing yet.</p>'
    height = ROW_H * len(rows) + 30
    parts = [f'<svg id="{escape(chart_id)}" class="chart" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {LABEL_W + BAR_W + 170} {height}" width="{LABEL_W + BAR_W + 170}" height="{height}">']
    for i, (account, counts) in enumerate(rows):
        y = 6 + i * ROW_H
        total = sum(counts.values())
        parts.append(f'<a href="/address/{escape(account)}"><text x="0" y="{y + 15}" class="label">'
                     f'{escape(short(account, 8))}</text></a>')
        x = LABEL_W
        for outcome, style in outcomes:
            n = counts.get(outcome, 0)
            if not n:
                continue
            w = BAR_W * n / total
            parts.append(f'<rect class="seg {style}" data-outcome="{outcome}" data-account="{escape(account)}" '
                         f'data-count="{n}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW_H - 8}">'
                         f'<title>{outcome}: {n} of {total} ({percent(n, total)})</title></rect>')
            if w > 34:
                parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}" class="in-bar">{percent(n, total)}</text>')
            x += w
        accepted = counts.get("Accepted", 0)
        parts.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 15}" class="label">{accepted} of {total} accepted '
                     f'({percent(accepted, total)})</text>')
    legend = "".join(f'<tspan class="legend {style}">■ {o}</tspan> ' for o, style in outcomes)
    parts.append(f'<text x="{LABEL_W}" y="{height - 6}" class="label">{legend}</text></svg>')
    return f'<figure><figcaption>{escape(title)}</figcaption>{"".join(parts)}</figure>'


def by_account(rows: list[dict], key: str) -> list[tuple[str, dict[str, int]]]:
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        counts = out.setdefault(r[key], {})
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return sorted(out.items())


def charts_page(claims: list[dict], proposals: list[dict]) -> str:
    workers = by_account(claims, "worker")
    aggregators = by_account(proposals, "proposer")
    return ("<h1>Training charts</h1>"
            + share_bars("worker-outcomes", "Claims per worker, by outcome", workers, CLAIM_OUTCOMES)
            + share_bars("aggregator-outcomes", "Head proposals per aggregator, by outcome", aggregators,
                         PROPOSAL_OUTCOMES)
            + '<p class="terms">Loss curves and held-out accuracy per head need the workers\' transcripts and '
              'checkpoints, which the audit does not store; only what the chain\'s events say is charted here.</p>')
