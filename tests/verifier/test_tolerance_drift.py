"""Tolerance mode cannot be steered (PROTOCOL.md §5.3, §10): a worker that adds, in every segment, a perturbation
just under delta·‖update‖ toward one target passes every per-segment distance check, and is rejected by the
zero-update rule or the residual-direction rule, over 50 seeds. Real training throughout; artifacts are served
from memory (the HTTP path is covered by test_honest_claims.py and test_cheating_workers.py)."""
from __future__ import annotations

import torch
from eth_utils import keccak

from prover.checkpoint import checkpoint_id
from prover.datasets import load_dataset
from prover.step import run_segment

from job_keys import JOB_KEY
from verifier.drift import RESIDUAL_COS_MAX
from verifier.errors import ArtifactUnavailable
from verifier.replay import UPDATE_FLOOR, tolerance_distances
from verifier.verify import verify_claim
from verifier_helpers import TOLERANCE, address, genesis, microbatch_segment, package, trajectory

SEEDS = 50
W1 = "param/layers.0.weight"  # (hidden, pixel)
W2 = "param/layers.1.weight"  # (class, hidden)
TARGET_CLASS = 7
BUDGET = 0.9  # of delta·‖update‖: every segment's distance stays under delta


def trigger_pixels(spec=TOLERANCE) -> torch.Tensor:
    """Input pixels that are zero in every training image (4 of the 64 digits pixels)."""
    x = load_dataset(spec).train_x
    return (x.abs().sum(0) == 0).nonzero().flatten()


def trigger_direction(seed: int, head) -> dict[str, torch.Tensor]:
    """The backdoor: weights from the never-lit pixels into hidden units raised, those hidden units wired to
    TARGET_CLASS; a per-seed random positive mix so each seed is a different target model."""
    g = torch.Generator().manual_seed(seed)
    d = {n: torch.zeros_like(t) for n, t in head.items() if n.startswith("param/")}
    d[W1][:, trigger_pixels()] = torch.rand(d[W1][:, trigger_pixels()].shape, generator=g)
    d[W2][TARGET_CLASS, :] = torch.rand(d[W2].shape[1], generator=g)
    return d


def drifting_segment(direction, only_touched: bool):
    """A segment function: the honest segment, plus BUDGET·delta·‖update‖ along `direction`. With only_touched,
    the perturbation is restricted to coordinates the honest segment changes (an attacker who knows rule (a))."""
    def segment(spec, start, spec_hash, round, worker, first_step, k):
        end, losses = run_segment(spec, start, spec_hash, round, worker, first_step, k, job_key=JOB_KEY)
        d = {n: v * (end[n] != start[n]) if only_touched else v for n, v in direction.items()}
        norm = sum(float((v.double() ** 2).sum()) for v in d.values()) ** 0.5
        update = sum(float(((end[n] - start[n]).double() ** 2).sum()) for n in d) ** 0.5
        scale = BUDGET * spec.delta * update / norm
        return {n: (t + scale * d[n]).to(t.dtype) if n in d else t for n, t in end.items()}, losses
    return segment


def in_memory(pkg):
    def fetch(cid: bytes) -> bytes:
        if cid not in pkg.artifacts:
            raise ArtifactUnavailable(cid, "not served")
        return pkg.artifacts[cid]
    return fetch


def attack(seed: int, only_touched: bool):
    """The attacker's claim and its verdict for one seed (target, worker and verifier all vary with it)."""
    head = genesis(TOLERANCE)
    worker = address(300 + seed)
    boundaries, losses = trajectory(TOLERANCE, head, 0, worker,
                                    drifting_segment(trigger_direction(seed, head), only_touched))
    pkg = package(TOLERANCE, 0, worker, boundaries, losses)
    v = verify_claim(TOLERANCE, pkg.claim, checkpoint_id(head), keccak(b"drift %d" % seed), address(seed, 0xB),
                     in_memory(pkg))
    return boundaries, v


def test_each_drift_segment_passes_the_per_segment_distance_checks():
    """The premise: without rules (a) and (b), every segment of the attack is within delta."""
    head = genesis(TOLERANCE)
    for only_touched in (False, True):
        boundaries, _ = attack(0, only_touched)
        k = TOLERANCE.checkpoint_every
        for j in range(TOLERANCE.segments_per_claim):
            replayed, _ = run_segment(TOLERANCE, boundaries[j], TOLERANCE.spec_hash(), 0, address(300), j * k, k,
                                      job_key=JOB_KEY)
            d = tolerance_distances(boundaries[j], boundaries[j + 1], replayed)
            assert d["update_ratio"] >= UPDATE_FLOOR
            assert 0.5 * TOLERANCE.delta < d["param"] <= TOLERANCE.delta, d  # close to the budget, under it
        # and the drift is real: the trigger weights have moved toward the target
        moved = boundaries[-1][W1][:, trigger_pixels()] - head[W1][:, trigger_pixels()]
        if not only_touched:
            assert float(moved.min()) >= 0 and float(moved.sum()) > 0


def test_trigger_drift_is_rejected_by_the_zero_update_rule_over_50_seeds():
    caught = []
    for seed in range(SEEDS):
        _, v = attack(seed, only_touched=False)
        assert v.decision == "reject", (seed, v.reason)
        caught.append(v.reason["check"])
        if v.reason["check"] == "zero_update_violated":
            # named: the never-lit pixels' weights (64 hidden units x 4 pixels, less any whose perturbation
            # rounds away), plus any target-class weights from hidden units dead in that segment
            t = v.reason["tensors"]
            assert set(t) <= {W1, W2} and 0.9 * 64 * len(trigger_pixels()) <= t[W1] <= 64 * len(trigger_pixels())
            assert v.reason["count"] == sum(t.values())
    print(f"trigger drift: {caught.count('zero_update_violated')}/{SEEDS} zero_update_violated, "
          f"{caught.count('residual_drift')}/{SEEDS} residual_drift")
    assert caught == ["zero_update_violated"] * SEEDS


def test_drift_on_touched_coordinates_is_rejected_by_the_residual_rule_over_50_seeds():
    cosines = []
    for seed in range(SEEDS):
        _, v = attack(seed, only_touched=True)
        assert v.decision == "reject" and v.reason["check"] == "residual_drift", (seed, v.reason)
        cosines.append(v.reason["cosine"])
    print(f"touched-coordinate drift: {SEEDS}/{SEEDS} residual_drift; attack cosines min {min(cosines):.4f} "
          f"max {max(cosines):.4f} (threshold {RESIDUAL_COS_MAX})")
    assert min(cosines) > 0.9


def test_a_drift_hidden_in_honest_reordering_noise_is_still_rejected():
    """The attacker's own arithmetic differs from the verifier's (two micro-batches): the residual is the drift
    plus real noise, and the rule still sees the shared direction."""
    head = genesis(TOLERANCE)
    direction = trigger_direction(3, head)
    def noisy(spec, start, spec_hash, round, worker, first_step, k):
        end, losses = microbatch_segment(spec, start, spec_hash, round, worker, first_step, k)
        d = {n: v * (end[n] != start[n]) for n, v in direction.items()}
        norm = sum(float((v.double() ** 2).sum()) for v in d.values()) ** 0.5
        update = sum(float(((end[n] - start[n]).double() ** 2).sum()) for n in d) ** 0.5
        return {n: (t + BUDGET * spec.delta * update / norm * d[n]) if n in d else t for n, t in end.items()}, losses
    worker = address(399)
    pkg = package(TOLERANCE, 0, worker, *trajectory(TOLERANCE, head, 0, worker, noisy))
    v = verify_claim(TOLERANCE, pkg.claim, checkpoint_id(head), keccak(b"noisy drift"), address(9, 0xB),
                     in_memory(pkg))
    assert v.decision == "reject" and v.reason["check"] == "residual_drift", v.reason
