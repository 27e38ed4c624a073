"""Each cheating worker of issue 4 gets its own test; all go through real training and real HTTP."""
from __future__ import annotations

import pytest
import torch
from eth_utils import keccak

from prover.checkpoint import checkpoint_id
from verifier.sampling import sample_segments
from verifier.verify import verify_claim
from verifier_helpers import (EXACT, TOLERANCE, address, bf16_segment, genesis, interpolate, lr_doubled_segment,
                              other_data_segment, package, trajectory)

SEED = keccak(b"blockhash(submitBlock + 2)")
VERIFIER = address(1, 0xB)
WORKER = address(7)
ROUND = 0
CLAIM_ID = 1  # package()'s default claim id: samples are drawn for it


def judge(server, ns, pkg, spec, head_id, verifier=VERIFIER, seed=SEED):
    server.publish(ns, pkg.artifacts)
    with server.fetcher(ns) as fetch:
        return verify_claim(spec, pkg.claim, head_id, seed, verifier, fetch)


@pytest.fixture(scope="module")
def honest():
    head = genesis(EXACT)
    boundaries, losses = trajectory(EXACT, head, ROUND, WORKER)
    return head, checkpoint_id(head), boundaries, losses


def test_control_the_honest_worker_is_approved(artifact_server, honest):
    head, head_id, boundaries, losses = honest
    v = judge(artifact_server, "c-honest", package(EXACT, ROUND, WORKER, boundaries, losses), EXACT, head_id)
    assert v.decision == "approve", v.reason


def _verifier_sampling(segment: int, spec=EXACT) -> str:
    """A verifier address whose sample (for SEED) contains `segment`; sampling is pure, so this is a search."""
    for i in range(1000):
        a = address(i, 0xB)
        if segment in sample_segments(SEED, CLAIM_ID, a, spec.segments_per_claim, spec.samples_per_verifier):
            return a
    raise AssertionError("no such verifier")


def test_1_random_result_weights(artifact_server, honest):
    head, head_id, boundaries, losses = honest
    gen = torch.Generator().manual_seed(1)
    fake = {n: torch.randn(t.shape, generator=gen, dtype=t.dtype) if t.is_floating_point() else t
            for n, t in boundaries[-1].items()}
    last = EXACT.segments_per_claim - 1
    # (a) the transcript is consistent with the random result: caught by every verifier whose sample holds the
    # last segment (how often that happens is test 6's detection rate).
    pkg = package(EXACT, ROUND, WORKER, boundaries[:-1] + [fake], losses)
    v = judge(artifact_server, "c1a", pkg, EXACT, checkpoint_id(head), verifier=_verifier_sampling(last))
    assert v.decision == "reject" and v.reason["check"] == "replay_end" and v.reason["segment"] == last, v.reason
    # (b) the honest transcript, but a random result on chain: structure alone rejects it, for every verifier.
    pkg = package(EXACT, ROUND, WORKER, boundaries, losses)
    fake_id = checkpoint_id(fake)
    pkg.claim = type(pkg.claim)(**{**pkg.claim.__dict__, "result": fake_id})
    pkg.artifacts[fake_id] = pkg.artifacts.pop(checkpoint_id(boundaries[-1]))
    v = judge(artifact_server, "c1b", pkg, EXACT, head_id)
    assert v.decision == "reject" and v.reason["check"] == "end_is_result", v.reason


def test_2_skipped_training(artifact_server, honest):
    head, head_id, boundaries, losses = honest
    pkg = package(EXACT, ROUND, WORKER, [head] * len(boundaries), losses)  # end equals start everywhere
    v = judge(artifact_server, "c2", pkg, EXACT, head_id)
    assert v.decision == "reject" and v.reason["check"] == "replay_end", v.reason
    # In tolerance mode, the same cheat is an update of size zero.
    thead = genesis(TOLERANCE)
    _, tlosses = trajectory(TOLERANCE, thead, ROUND, WORKER)
    pkg = package(TOLERANCE, ROUND, WORKER, [thead] * len(boundaries), tlosses)
    v = judge(artifact_server, "c2t", pkg, TOLERANCE, checkpoint_id(thead))
    assert v.decision == "reject" and v.reason["check"] == "update_too_small", v.reason
    assert v.reason["update_ratio"] == 0.0


def test_3_trained_on_other_data(artifact_server, honest):
    head, head_id, _, _ = honest
    boundaries, losses = trajectory(EXACT, head, ROUND, WORKER, other_data_segment)
    v = judge(artifact_server, "c3", package(EXACT, ROUND, WORKER, boundaries, losses), EXACT, head_id)
    assert v.decision == "reject" and v.reason["check"] == "replay_end", v.reason


def test_4_learning_rate_doubled(artifact_server, honest):
    head, head_id, _, _ = honest
    boundaries, losses = trajectory(EXACT, head, ROUND, WORKER, lr_doubled_segment)
    v = judge(artifact_server, "c4", package(EXACT, ROUND, WORKER, boundaries, losses), EXACT, head_id)
    assert v.decision == "reject" and v.reason["check"] == "replay_end", v.reason


def test_5_another_workers_transcript_resubmitted(artifact_server, honest):
    head, head_id, boundaries, losses = honest  # the victim is WORKER
    thief = address(66, 0xC)
    # (a) the victim's transcript as is, claimed under the thief's address: its header names the victim.
    pkg = package(EXACT, ROUND, WORKER, boundaries, losses, claim_worker=thief)
    v = judge(artifact_server, "c5a", pkg, EXACT, head_id)
    assert v.decision == "reject" and v.reason["check"] == "transcript_worker", v.reason
    # (b) the header rewritten to the thief: the root is unchanged (leaves do not name the worker), but the
    # replay uses the thief's data assignment, which the victim's checkpoints do not follow.
    victim = package(EXACT, ROUND, WORKER, boundaries, losses)
    pkg = package(EXACT, ROUND, WORKER, boundaries, losses, claim_worker=thief, transcript_worker=thief)
    assert pkg.claim.transcript_root == victim.claim.transcript_root
    v = judge(artifact_server, "c5b", pkg, EXACT, head_id)
    assert v.decision == "reject" and v.reason["check"] == "replay_end", v.reason


def test_7_transcript_root_does_not_match_claim(artifact_server, honest):
    head, head_id, boundaries, losses = honest
    pkg = package(EXACT, ROUND, WORKER, boundaries, losses)
    real_root = pkg.claim.transcript_root
    claimed_root = keccak(b"a root the worker made up")
    pkg.claim = type(pkg.claim)(**{**pkg.claim.__dict__, "transcript_root": claimed_root})
    pkg.artifacts[claimed_root] = pkg.artifacts.pop(real_root)  # served under the claim's root
    v = judge(artifact_server, "c7", pkg, EXACT, head_id)
    assert v.decision == "reject" and v.reason["check"] == "transcript_root", v.reason
    assert v.reason["expected"] == "0x" + claimed_root.hex() and v.reason["got"] == "0x" + real_root.hex()


def test_8_bfloat16_training_in_tolerance_mode(artifact_server):
    head = genesis(TOLERANCE)
    boundaries, losses = trajectory(TOLERANCE, head, ROUND, WORKER, bf16_segment)
    v = judge(artifact_server, "c8", package(TOLERANCE, ROUND, WORKER, boundaries, losses), TOLERANCE,
              checkpoint_id(head))
    assert v.decision == "reject" and v.reason["check"] == "replay_distance", v.reason
    assert v.reason["distance"] > 10 * TOLERANCE.delta


def test_9_infinitesimal_update_straight_line(artifact_server):
    head = genesis(TOLERANCE)
    honest_b, losses = trajectory(TOLERANCE, head, ROUND, WORKER)
    # A target model of the attacker's choosing, reached by S equal tiny steps on a straight line from the
    # head: each committed step is ~1 % of an honest step, so its absolute replay error would look small.
    gen = torch.Generator().manual_seed(9)
    target = {n: t + 0.01 * (honest_b[1][n] - t).norm() / max(t.numel(), 1) ** 0.5
              * torch.randn(t.shape, generator=gen) if t.is_floating_point() else t for n, t in head.items()}
    S = TOLERANCE.segments_per_claim
    boundaries = [interpolate(head, target, j / S) for j in range(S + 1)]
    v = judge(artifact_server, "c9", package(TOLERANCE, ROUND, WORKER, boundaries, losses), TOLERANCE,
              checkpoint_id(head))
    assert v.decision == "reject" and v.reason["check"] == "update_too_small", v.reason
    assert v.reason["update_ratio"] < 0.1
