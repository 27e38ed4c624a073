"""The training charts as inline SVG (no script, no external asset): each worker's loss curve, claim by claim, from
the transcripts it committed to (node/audit/v2/losses.py), with its share of the accepted training; the curve of
the accepted work round by round; each worker's claims by outcome and each aggregator's head proposals by
outcome, as shares of 100 %, with the counts beside them."""
from __future__ import annotations

import json
from html import escape

from .pages import short

CLAIM_OUTCOMES = (("Accepted", "pass"), ("Rejected", "fail"), ("Expired", "warn"), ("Pending", "muted"))
PROPOSAL_OUTCOMES = (("Accepted", "pass"), ("Rejected", "fail"), ("Dropped", "warn"), ("Pending", "muted"))
BAR_W, ROW_H, LABEL_W = 520, 26, 130
PLOT_W, PLOT_H, PAD_L, PAD_B, PAD_T = 640, 260, 56, 34, 12
PALETTE = 8  # worker colours w0..w7 in style.css, reused beyond eight workers


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


def curves_by_claim(losses: list[dict], claims: list[dict]) -> list[dict]:
    """Per claim with a stored curve, in claim order: worker, round, status, the steps of its segment ends counted
    from the job's start (round * steps per claim + the step within the claim), and their mean losses."""
    by_id = {c["claim_id"]: c for c in claims}
    out: dict[int, dict] = {}
    for row in sorted(losses, key=lambda r: (r["claim_id"], r["segment"])):
        claim = by_id.get(row["claim_id"])
        if claim is None:
            continue
        curve = out.setdefault(row["claim_id"], {"claim_id": row["claim_id"], "worker": claim["worker"],
                                                 "round": claim["round"], "status": claim["status"],
                                                 "steps": [], "losses": []})
        curve["steps"].append(claim["round"] * claim["steps"] + row["end_step"])
        curve["losses"].append(row["mean_loss"])
    return list(out.values())


def accepted_curve(curves: list[dict]) -> list[tuple[int, float]]:
    """(the step a round's work ends on, the mean over its accepted claims of their last segment's loss)."""
    ends: dict[int, list[tuple[int, float]]] = {}
    for c in curves:
        if c["status"] == "Accepted":
            ends.setdefault(c["round"], []).append((c["steps"][-1], c["losses"][-1]))
    return [(max(s for s, _ in v), sum(loss for _, loss in v) / len(v)) for _, v in sorted(ends.items())]


def accepted_steps(claims: list[dict]) -> dict[str, int]:
    """worker -> the training steps of its accepted claims."""
    steps: dict[str, int] = {}
    for c in claims:
        if c["status"] == "Accepted":
            steps[c["worker"]] = steps.get(c["worker"], 0) + c["steps"]
    return steps


def loss_curves(curves: list[dict], claims: list[dict], missing: dict[str, int]) -> str:
    """One line per claim, coloured by worker (dashed unless Accepted), and the accepted work's curve in black."""
    title = "Training loss per worker (mean over each segment, from the committed transcripts)"
    note = "".join(f'<p class="terms" data-missing="{escape(status)}">{n} claim(s) with no curve: transcript '
                   f'{escape(status)}.</p>' for status, n in sorted(missing.items()) if n)
    if not curves:
        return f'<p class="none">{escape(title)}: no transcript read yet.</p>' + note
    steps = [s for c in curves for s in c["steps"]]
    losses = [v for c in curves for v in c["losses"]]
    x_max, y_min, y_max = max(steps), min(losses), max(losses)
    y_span = (y_max - y_min) or 1.0

    def x(step: int) -> float:
        return PAD_L + PLOT_W * step / x_max

    def y(loss: float) -> float:
        return PAD_T + PLOT_H * (y_max - loss) / y_span

    def points(pairs) -> str:
        return " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in pairs)

    workers = sorted({c["worker"] for c in curves})
    colour = {w: f"w{i % PALETTE}" for i, w in enumerate(workers)}
    width, height = PAD_L + PLOT_W + 10, PAD_T + PLOT_H + PAD_B
    parts = [f'<svg id="loss-curves" class="chart curves" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
             f'<line class="axis" x1="{PAD_L}" y1="{PAD_T + PLOT_H}" x2="{PAD_L + PLOT_W}" y2="{PAD_T + PLOT_H}"/>',
             f'<line class="axis" x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{PAD_T + PLOT_H}"/>',
             f'<text class="label" x="2" y="{PAD_T + 10}">{y_max:.3g}</text>',
             f'<text class="label" x="2" y="{PAD_T + PLOT_H}">{y_min:.3g}</text>',
             f'<text class="label" x="2" y="{PAD_T + PLOT_H / 2:.0f}">loss</text>',
             f'<text class="label" x="{PAD_L}" y="{height - 4}">step 0</text>',
             f'<text class="label" x="{PAD_L + PLOT_W - 90}" y="{height - 4}">step {x_max:,}</text>']
    for c in curves:
        dashed = "" if c["status"] == "Accepted" else " dashed"
        parts.append(f'<polyline class="curve {colour[c["worker"]]}{dashed}" data-claim="{c["claim_id"]}" '
                     f'data-worker="{escape(c["worker"])}" data-status="{escape(c["status"])}" '
                     f'data-steps="{escape(json.dumps(c["steps"]))}" data-losses="{escape(json.dumps(c["losses"]))}" '
                     f'points="{points(zip(c["steps"], c["losses"]))}"><title>claim {c["claim_id"]} '
                     f'({escape(c["status"])}) by {escape(short(c["worker"], 8))}, round {c["round"]}: loss '
                     f'{c["losses"][0]:.4g} → {c["losses"][-1]:.4g}</title></polyline>')
    head = accepted_curve(curves)
    if head:
        parts.append(f'<polyline class="curve head" data-points="{escape(json.dumps(head))}" '
                     f'points="{points(head)}"><title>the accepted work, round by round</title></polyline>')
        parts += [f'<circle class="head-point" cx="{x(st):.1f}" cy="{y(v):.1f}" r="3"><title>step {st:,}: loss '
                  f'{v:.4g}</title></circle>' for st, v in head]
    parts.append("</svg>")
    accepted = accepted_steps(claims)
    total = sum(accepted.values())
    legend = "".join(
        f'<li class="{colour[w]}" data-worker="{escape(w)}" data-accepted-steps="{accepted.get(w, 0)}">'
        f'<span class="swatch"></span><a href="/address/{escape(w)}">{escape(short(w, 8))}</a>: '
        f'{sum(c["worker"] == w for c in curves)} claim(s) charted, '
        f'{percent(accepted.get(w, 0), total)} of the accepted training steps</li>' for w in workers)
    return (f'<figure><figcaption>{escape(title)}</figcaption>{"".join(parts)}<ul class="legend">{legend}'
            '<li class="head"><span class="swatch"></span>accepted work (its round\'s last segment, averaged); '
            'dashed: not accepted</li></ul></figure>' + note)


def charts_page(claims: list[dict], proposals: list[dict], losses: list[dict] | None = None,
                fetches: list[dict] | None = None) -> str:
    workers = by_account(claims, "worker")
    aggregators = by_account(proposals, "proposer")
    missing: dict[str, int] = {}
    for f in fetches or []:
        if f["status"] != "ok":
            missing[f["status"]] = missing.get(f["status"], 0) + 1
    return ("<h1>Training charts</h1>"
            + loss_curves(curves_by_claim(losses or [], claims), claims, missing)
            + share_bars("worker-outcomes", "Claims per worker, by outcome", workers, CLAIM_OUTCOMES)
            + share_bars("aggregator-outcomes", "Head proposals per aggregator, by outcome", aggregators,
                         PROPOSAL_OUTCOMES))
