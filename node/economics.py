"""PROTOCOL.md §8 for a job's terms: the inequalities that make cheating, blind approval and false challenges
lose money, checked before `job create` signs anything, and the figures an owner should see.

Pure: compute is priced by the caller (`Compute`: CPU-seconds of one segment, measured by `measure_segment`
or taken from a benchmark, and a price in wei per CPU-second). Each failed inequality names itself and the
smallest value of a term that satisfies it.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from verifier.sampling import detection_probability

MAX_VERIFICATION_SHARE = 0.10  # §8: the defaults keep D·s·k/H at or below this


@dataclass(frozen=True)
class Compute:
    segment_cpu_s: float  # CPU-seconds of one k-step segment (training and replay alike: one step function)
    wei_per_cpu_s: int  # what a CPU-second costs the person who spends it
    sentinel_rate: float = 0.0  # ρ: share of claims the owner's sentinel plants as faults (0: no sentinel)

    def cost(self, segments: float) -> int:
        return math.ceil(segments * self.segment_cpu_s * self.wei_per_cpu_s)


@dataclass(frozen=True)
class Failure:
    rule: str  # the inequality, as §8 writes it
    detail: str  # the figures that broke it and the smallest value that satisfies it


@dataclass(frozen=True)
class Shape:
    steps: int  # H
    k: int  # checkpoint_every
    committee: int  # D
    samples: int  # s (per member)

    @property
    def segments(self) -> int:
        return self.steps // self.k

    @property
    def verification_share(self) -> float:
        return self.committee * self.samples * self.k / self.steps


def shape_of(spec, terms) -> Shape:
    return Shape(spec.steps_per_claim, terms.checkpoint_every or spec.checkpoint_every, terms.committee_size,
                 terms.samples_per_member)


def _eth(wei: int) -> str:
    from .wallet.amounts import format_eth

    return format_eth(wei)


def check(shape: Shape, terms, compute: Compute) -> list[Failure]:
    """The §8 inequalities these terms break (empty: none). Blind approval is only deterred where a sentinel
    plants faults (ρ > 0); with ρ = 0 that inequality is not checked (see `warnings`)."""
    failures = []
    work = compute.cost(shape.segments)
    replay = compute.cost(shape.samples)
    if terms.claim_bond + terms.reward_per_claim < work:
        failures.append(Failure(
            "claim_bond + reward_per_claim >= cost of H steps",
            f"{_eth(terms.claim_bond)} + {_eth(terms.reward_per_claim)} < {_eth(work)} for {shape.steps} steps: "
            f"raise claim_bond to at least {_eth(work - terms.reward_per_claim)}"))
    if terms.approval_fee <= replay:
        failures.append(Failure(
            "approval_fee > replay cost of s segments",
            f"{_eth(terms.approval_fee)} <= {_eth(replay)} for {shape.samples} segments: raise approval_fee to at "
            f"least {_eth(replay + 1)}"))
    if compute.sentinel_rate > 0 and compute.sentinel_rate * terms.approval_bond <= replay:
        smallest = math.floor(replay / compute.sentinel_rate) + 1
        failures.append(Failure(
            "sentinel_rate x approval_bond > replay cost of s segments",
            f"{compute.sentinel_rate:g} x {_eth(terms.approval_bond)} <= {_eth(replay)}: raise approval_bond to at "
            f"least {_eth(smallest)} (or the sentinel rate to {replay / terms.approval_bond if terms.approval_bond else math.inf:.3g}+)"))
    winnable = smallest_true_challenge_win(terms)
    if not 0 < terms.challenge_bond < winnable:
        failures.append(Failure(
            "0 < challenge_bond < the slash a true challenge wins",
            f"challenge_bond {_eth(terms.challenge_bond)}, a true challenge wins at least {_eth(winnable)} "
            f"(claim_bond shared by the challenger and {terms.jury_size} jurors): set challenge_bond between "
            f"1 wei and {_eth(max(winnable - 1, 0))}"))
    return failures


def smallest_true_challenge_win(terms) -> int:
    """The least a lone right challenger takes home: the worker's claim bond (no approver caught) split with
    every juror in the majority (rules.claim_verdict_split)."""
    return terms.claim_bond // (terms.jury_size + 1)


def warnings(shape: Shape, compute: Compute) -> list[str]:
    found = []
    if shape.verification_share > MAX_VERIFICATION_SHARE:
        found.append(f"verification share D·s·k/H = {shape.committee}·{shape.samples}·{shape.k}/{shape.steps} = "
                     f"{shape.verification_share:.0%} of the network's compute, above the "
                     f"{MAX_VERIFICATION_SHARE:.0%} §8 asks of defaults: lower samples_per_member or "
                     f"committee_size, or raise steps_per_claim")
    if compute.sentinel_rate <= 0:
        found.append("no sentinel (--sentinel-rate 0): approving without replaying is not deterred; "
                     "an honest member's challenge still rejects fraud")
    return found


def summary(shape: Shape, terms, compute: Compute) -> dict:
    """Figures for the owner: verification share, P(detect) at f = one segment, 10% and 100%, and the expected
    loss per claim of a cheater (against training honestly) and of a blind approver (against replaying)."""
    work = compute.cost(shape.segments)
    replay = compute.cost(shape.samples)
    fractions = {"one segment": 1 / shape.segments, "10%": 0.10, "100%": 1.0}
    detect = {name: detection_probability(f, shape.committee, shape.samples) for name, f in fractions.items()}
    # A cheater faking a fraction f keeps the reward if undetected and saves f of the work; detected, it loses
    # the bond and the reward: E[honest - cheat] = P(R + B) - f·W.
    cheater = {name: round(detect[name] * (terms.reward_per_claim + terms.claim_bond) - fractions[name] * work)
               for name in fractions}
    blind = round(compute.sentinel_rate * terms.approval_bond) - replay
    return {"verification_share": shape.verification_share, "segments": shape.segments,
            "work_wei": work, "replay_wei": replay, "p_detect": detect,
            "cheater_expected_loss_wei": cheater, "blind_approver_expected_loss_wei": blind,
            "sentinel_rate": compute.sentinel_rate}


def measure_segment(spec, k: int, repeats: int = 2) -> float:
    """CPU-seconds of one k-step segment of this spec on this machine, from genesis with the real step function
    (dataset load and state build included, as a replay pays them); the fastest of `repeats` runs."""
    from prover.jobkey import job_key
    from prover.state import genesis
    from prover.step import run_segment

    start = genesis(spec)
    key = job_key(31337, "0x" + "00" * 20, 0)
    best = math.inf
    for _ in range(repeats):
        t0 = time.process_time()
        run_segment(spec, start, spec.spec_hash(), 0, "0x" + "00" * 20, 0, k, job_key=key)
        best = min(best, time.process_time() - t0)
    return best
