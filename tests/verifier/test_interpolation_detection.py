"""Cheat 6: a fraction f of segments faked by interpolating between real checkpoints, and the detection rate
over many seeds against 1 − (1 − f)^(m·s)."""
from __future__ import annotations

import math
import random

import pytest
from eth_utils import keccak

from prover.checkpoint import checkpoint_id
from prover.presets import digits_spec
from verifier.replay import compare_exact, replay_segment
from verifier.sampling import detection_probability, sample_segments
from verifier.verify import verify_claim
from verifier_helpers import address, genesis, interpolate, package, trajectory

# S = 100 segments of one step; each verifier replays s = 5; 10 of them are faked (f = 0.1).
SPEC = digits_spec(steps_per_claim=100, checkpoint_every=1, samples_per_verifier=5)
WORKER = address(3)
F, M, TRIALS = 0.1, 3, 400


@pytest.fixture(scope="module")
def cheat():
    head = genesis(SPEC)
    real, losses = trajectory(SPEC, head, 0, WORKER)
    S = SPEC.segments_per_claim
    # Five gaps of two segments: the worker keeps real checkpoints a and a + 2 and fills a + 1 by
    # interpolation, so segments a and a + 1 are both faked.
    rng = random.Random(6)
    starts = sorted(rng.sample(range(0, S - 1, 4), 5))
    boundaries, faked = list(real), set()
    for a in starts:
        boundaries[a + 1] = interpolate(real[a], real[a + 2], 0.5)
        faked |= {a, a + 1}
    assert len(faked) / S == F
    return head, package(SPEC, 0, WORKER, boundaries, losses), faked


def test_6_every_faked_segment_fails_replay_and_no_real_one_does(cheat):
    _, pkg, faked = cheat
    from verifier.artifacts import parse_transcript

    transcript = parse_transcript(pkg.transcript_bytes)
    failing = set()
    for seg, start in zip(transcript.segments, pkg.boundaries):
        end, losses = replay_segment(SPEC, pkg.claim, seg, start)
        if compare_exact(seg, end, losses) is not None:
            failing.add(seg.index)
    assert failing == faked


def test_6_verdicts_follow_the_sample(artifact_server, cheat):
    head, pkg, faked = cheat
    artifact_server.publish("c6", pkg.artifacts)
    S, s = SPEC.segments_per_claim, SPEC.samples_per_verifier
    hit = miss = None
    for i in range(200):
        seed, verifier = keccak(b"seed %d" % i), address(i, 0xB)
        caught = bool(set(sample_segments(seed, pkg.claim.claim_id, verifier, S, s)) & faked)
        if caught and hit is None:
            hit = (seed, verifier)
        if not caught and miss is None:
            miss = (seed, verifier)
    with artifact_server.fetcher("c6") as fetch:
        v = verify_claim(SPEC, pkg.claim, checkpoint_id(head), hit[0], hit[1], fetch)
        assert v.decision == "reject" and v.reason["check"] == "replay_end" and v.reason["segment"] in faked
        # A verifier whose sample misses every faked segment sees only honest segments: the protection is the
        # number of verifiers times s, which the next test measures.
        v = verify_claim(SPEC, pkg.claim, checkpoint_id(head), miss[0], miss[1], fetch)
        assert v.decision == "approve", v.reason


def test_6_detection_rate_matches_formula(cheat):
    _, pkg, faked = cheat
    S, s = SPEC.segments_per_claim, SPEC.samples_per_verifier
    detected = 0
    for trial in range(TRIALS):
        seed = keccak(b"trial %d" % trial)
        drawn = set()
        for v in range(M):
            drawn |= set(sample_segments(seed, pkg.claim.claim_id, address(v, 0xB), S, s))
        detected += bool(drawn & faked)
    rate = detected / TRIALS
    # Draws with replacement (sampling v2): the formula is exact, P = 1 - (1 - f)^(M·s).
    formula = detection_probability(F, M, s)
    sigma = math.sqrt(formula * (1 - formula) / TRIALS)
    assert abs(rate - formula) <= 4 * sigma, (rate, formula)
