"""A juror judges each named segment on the worker's evidence (verifier/jury.py): real training, real replay;
artifacts from memory, or over real HTTP where a withheld artifact must be a real 404."""
from __future__ import annotations

import pytest
from eth_utils import keccak

from prover.checkpoint import checkpoint_id
from verifier.errors import ArtifactUnavailable
from verifier.jury import judge_segments, verdict_mask
from verifier.replay_source import cannot_run
from verifier.verify import verify_claim
from verifier_helpers import EXACT, address, genesis, honest_segment, other_data_segment, package, trajectory

SEED = keccak(b"blockhash(openBlock + 2)")
JUROR = address(3, 0xD)
WORKER = address(7)
FAKED = 2  # the one segment the cheater did not train honestly
ALL = list(range(EXACT.segments_per_claim))


def faking_segment(fake: int):
    """Honest everywhere but segment `fake` (trained on somebody else's batches); later segments train honestly
    from its end, so only that segment fails replay."""
    def segment(spec, start, spec_hash, round, worker, first_step, k):
        cheat = first_step == fake * k
        return (other_data_segment if cheat else honest_segment)(spec, start, spec_hash, round, worker, first_step, k)
    return segment


def in_memory(artifacts: dict[bytes, bytes]):
    """A fetch over a dict; a missing id is unavailable, as a 404 would be."""
    def fetch(cid: bytes) -> bytes:
        if cid not in artifacts:
            raise ArtifactUnavailable(cid, "not served")
        return artifacts[cid]
    return fetch


@pytest.fixture(scope="module")
def head():
    return genesis(EXACT)


@pytest.fixture(scope="module")
def honest(head):
    return package(EXACT, 0, WORKER, *trajectory(EXACT, head, 0, WORKER))


@pytest.fixture(scope="module")
def faked(head):
    return package(EXACT, 0, WORKER, *trajectory(EXACT, head, 0, WORKER, faking_segment(FAKED)))


def judge(pkg, head, segments, fetch=None, **kw):
    return judge_segments(EXACT, pkg.claim, checkpoint_id(head), SEED, JUROR, fetch or in_memory(pkg.artifacts),
                          segments, **kw)


def test_honest_claim_has_no_faulty_segment(honest, head):
    j = judge(honest, head, ALL)
    assert [f.segment for f in j.findings] == ALL
    assert not any(f.faulty for f in j.findings) and verdict_mask(j) == 0
    assert all(f.reason["check"] == "replay_matches" for f in j.findings)


def test_exactly_the_faked_segment_is_faulty_in_the_order_named(faked, head):
    j = judge(faked, head, [3, FAKED, 0, 1])
    assert [(f.segment, f.faulty) for f in j.findings] == [(3, False), (FAKED, True), (0, False), (1, False)]
    assert j.findings[1].reason["check"] == "replay_end" and j.findings[1].reason["segment"] == FAKED
    assert verdict_mask(j) == 0b0010  # bit i = the i-th named segment


def test_withheld_start_checkpoint_makes_its_segment_faulty(artifact_server, honest, head):
    withheld = checkpoint_id(honest.boundaries[FAKED])  # the start checkpoint of segment FAKED
    artifact_server.publish("jury-withheld", {k: v for k, v in honest.artifacts.items() if k != withheld})
    with artifact_server.fetcher("jury-withheld") as fetch:
        j = judge(honest, head, ALL, fetch=fetch)
    assert j.faulty_segments == [FAKED]
    reason = j.findings[FAKED].reason
    assert reason["check"] == "checkpoint_unavailable" and "HTTP 404" in reason["detail"], reason


def test_juror_side_failures_are_not_faults(faked, head):
    def crashing(spec, claim, segment, start):
        raise RuntimeError("replayer out of memory")

    j = judge(faked, head, [FAKED], replay=crashing)
    assert not j.findings[0].faulty and verdict_mask(j) == 0
    assert j.findings[0].reason == {"check": "internal_error", "juror_side": True, "segment": FAKED,
                                    "error": "RuntimeError: replayer out of memory"}
    j = judge(faked, head, [FAKED], replay=cannot_run("cpu-x86", "cuda-sm90"))
    assert not j.findings[0].faulty and j.findings[0].reason["check"] == "numerics_profile_unavailable"
    assert j.findings[0].reason["juror_side"] is True


def test_bad_node_inputs_are_not_faults(faked, head):
    j = judge_segments(EXACT, faked.claim, checkpoint_id(head), b"short", JUROR, in_memory(faked.artifacts), ALL)
    assert verdict_mask(j) == 0 and all(f.reason["check"] == "bad_input" and f.reason["juror_side"]
                                        for f in j.findings)
    j = judge(faked, head, [FAKED, 99])  # 99: no such segment in this claim; the contract never names it
    assert [(f.segment, f.faulty) for f in j.findings] == [(FAKED, True), (99, False)]
    assert j.findings[1].reason["check"] == "bad_input" and "99" in j.findings[1].reason["detail"]
    with pytest.raises(TypeError, match="segments"):
        judge(faked, head, 2)


def test_withheld_transcript_makes_every_named_segment_faulty(honest, head):
    served = {k: v for k, v in honest.artifacts.items() if k != honest.claim.transcript_root}
    j = judge(honest, head, [1, 3], fetch=in_memory(served))
    assert verdict_mask(j) == 0b11 and all(f.reason["check"] == "transcript_unavailable" for f in j.findings)


def test_structure_faults_located_or_claim_wide(head):
    boundaries, losses = trajectory(EXACT, head, 0, WORKER)
    losses = [list(x) for x in losses]
    losses[1][0] = float("nan")  # committed under the root: a fault located at segment 1
    pkg = package(EXACT, 0, WORKER, boundaries, losses)
    j = judge(pkg, head, [0, 1, 3])
    assert [f.faulty for f in j.findings] == [False, True, False]
    assert j.findings[1].reason["check"] == "losses_finite" and j.structure_fault["segment"] == 1
    # A base that is not the round's head is located at no segment: every named segment is faulty.
    j = judge_segments(EXACT, pkg.claim, keccak(b"another head"), SEED, JUROR, in_memory(pkg.artifacts), [0, 3])
    assert verdict_mask(j) == 0b11 and j.findings[0].reason["check"] == "claim_base"


def test_verify_claim_replays_exactly_the_named_segments(faked, head):
    fetch, head_id = in_memory(faked.artifacts), checkpoint_id(head)
    v = verify_claim(EXACT, faked.claim, head_id, SEED, JUROR, fetch, segments=[0, 3])
    assert v.decision == "approve" and v.reason["segments"] == [0, 3], v.reason
    v = verify_claim(EXACT, faked.claim, head_id, SEED, JUROR, fetch, segments=[FAKED])
    assert v.decision == "reject" and v.reason["segment"] == FAKED, v.reason
    for bad in ([], [4], [True], "0"):
        v = verify_claim(EXACT, faked.claim, head_id, SEED, JUROR, fetch, segments=bad)
        assert v.decision == "abstain" and v.reason["check"] == "bad_input" and "segments" in v.reason["detail"]


def test_tolerance_drift_makes_the_aligned_segments_faulty():
    """Each segment of a touched-coordinate drift is within delta on its own; their residuals point one way,
    so the juror finds every named segment in an aligned pair faulty (and an honest claim's none)."""
    from test_tolerance_drift import drifting_segment, trigger_direction
    from verifier_helpers import TOLERANCE

    head = genesis(TOLERANCE)
    drifting = package(TOLERANCE, 0, WORKER, *trajectory(TOLERANCE, head, 0, WORKER,
                                                         drifting_segment(trigger_direction(0, head), True)))
    j = judge_segments(TOLERANCE, drifting.claim, checkpoint_id(head), SEED, JUROR, in_memory(drifting.artifacts),
                       [0, 2])
    assert verdict_mask(j) == 0b11 and [f.reason["with"] for f in j.findings] == [2, 0], j.to_json()
    assert all(f.reason["check"] == "residual_drift" and f.reason["cosine"] > 0.9 for f in j.findings)
    honest = package(TOLERANCE, 0, WORKER, *trajectory(TOLERANCE, head, 0, WORKER))
    j = judge_segments(TOLERANCE, honest.claim, checkpoint_id(head), SEED, JUROR, in_memory(honest.artifacts),
                       [0, 2])
    assert verdict_mask(j) == 0, j.to_json()
