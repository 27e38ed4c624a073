"""Tolerance mode's two anti-steering rules (PROTOCOL.md §5.3, §10 "tolerance drift toward a target model").

A per-segment distance bound alone lets a worker add a perturbation just under delta·‖update‖ to every
segment; if all perturbations point at one target, they add up linearly while honest noise only random-walks.
Two rules take that away:

- zero update: a coordinate the honest replay leaves exactly where it started (no gradient, no state to carry
  an update) must not move in the claim either. Zero gradients are exact on every device and summation order
  (sums of exact zeros), so honest workers agree on these coordinates; they are also where a backdoor is
  cheapest to hide (weights from inputs the training data never lights up).
- residual direction: the residuals r_j = W_end − W′ of the segments one verifier replays are independent
  rounding noise for an honest worker, so their pairwise cosines sit near 0; a drift puts the same vector
  into each of them and drives the cosine towards 1. Needs s ≥ 2 replayed segments per verifier.
"""
from __future__ import annotations

import math

import torch

from prover.checkpoint import Tensors

# Pairwise residual cosine above this is a drift. Measured honest maxima of |cos| (bench/calibrate_delta.py,
# 435 pairs per device pair): digits MLP 0.18; tiny GPT 0.46 under 2-thread non-strict MKL noise (AdamW turns
# noise on near-zero gradients into same-signed full-size steps on the same coordinates in every segment).
# The naive drift gives > 0.97. A drift that splits its budget into a shared part a and per-segment random
# parts gets cos ≈ a²/‖r‖², so the shared (steering) part is held to sqrt(RESIDUAL_COS_MAX) ≈ 0.9 of the
# delta budget: this rule stops a fixed-direction drift, and a calibrated delta bounds the rest.
RESIDUAL_COS_MAX = 0.8


def zero_update_violations(start: Tensors, committed_end: Tensors, replayed_end: Tensors) -> dict[str, int]:
    """Per float tensor: how many coordinates the replay left exactly unchanged but the claim moved.

    "Moved" means by more than one float32 spacing of the start value: an update whose size is right at half a
    spacing can round to "unchanged" on one machine and to one spacing on another, which is honest noise and
    gives an attacker nothing to steer with. A tensor absent from start (optimizer state created by the
    segment's first step) starts from zeros, as the optimizer's own lazy initialization does.
    """
    out = {}
    for name, end in committed_end.items():
        if not end.is_floating_point():
            continue
        s = start[name] if name in start else torch.zeros_like(end)
        untouched = replayed_end[name] == s  # value equality: +0 and -0 are the same coordinate value
        spacing = (torch.nextafter(s, torch.full_like(s, math.inf)) - s).abs()
        moved = (end - s).abs() > spacing
        count = int((untouched & moved).sum())
        if count:
            out[name] = count
    return out


def param_residual(committed_end: Tensors, replayed_end: Tensors) -> torch.Tensor:
    """W_end − W′ over all parameters, flattened in name order, float64."""
    names = sorted(n for n in committed_end if n.startswith("param/"))
    return torch.cat([(committed_end[n].to(torch.float64) - replayed_end[n].to(torch.float64)).flatten()
                      for n in names])


def pairwise_cosines(residuals: dict[int, torch.Tensor]) -> list[tuple[int, int, float]]:
    """(i, j, cos(r_i, r_j)) for every pair of segments; a zero residual (bit-identical replay) has no
    direction and is left out rather than counted as agreeing or disagreeing."""
    keys = sorted(k for k, r in residuals.items() if float(r.norm()) > 0.0)
    out = []
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            ri, rj = residuals[keys[a]], residuals[keys[b]]
            cos = float(torch.dot(ri, rj) / (ri.norm() * rj.norm()))
            out.append((keys[a], keys[b], cos))
    return out


def residual_drift(residuals: dict[int, torch.Tensor], threshold: float = RESIDUAL_COS_MAX):
    """The most aligned pair above threshold as (i, j, cos), or None."""
    pairs = [p for p in pairwise_cosines(residuals) if not p[2] <= threshold]  # NaN counts as a violation
    return max(pairs, key=lambda p: p[2] if p[2] == p[2] else math.inf) if pairs else None
