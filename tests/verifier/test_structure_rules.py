"""verifier.structure: every rule of PROTOCOL.md §5.1, each broken once, on transcripts bound by their root."""
from __future__ import annotations

import dataclasses

import pytest
from eth_utils import keccak

from prover.transcript import Segment
from verifier.artifacts import MalformedArtifact, content_matches, parse_transcript
from verifier.claim import Claim
from verifier.structure import check_structure
from job_keys import JOB_KEY
from verifier_helpers import EXACT, address, transcript_json

K, S = EXACT.checkpoint_every, EXACT.segments_per_claim
IDS = [keccak(b"ckpt %d" % i) for i in range(S + 1)]
WORKER = address(1)


def view_and_claim(segments=None, worker=WORKER, round=0, spec_hash=None, k=K, **claim_changes):
    segments = segments if segments is not None else [Segment(j, IDS[j], IDS[j + 1], (2.0, 1.5)) for j in range(S)]
    view = parse_transcript(transcript_json(spec_hash or EXACT.spec_hash(), round, worker, k, segments))
    claim = Claim(claim_id=1, worker=WORKER, round=0, base=IDS[0], result=IDS[-1], transcript_root=view.root,
                  steps=EXACT.steps_per_claim, job_key=JOB_KEY)
    return view, dataclasses.replace(claim, **claim_changes)


def check(view, claim, head=IDS[0]):
    return check_structure(EXACT, claim, head, view)


def test_well_formed_passes():
    assert check(*view_and_claim()) is None


def seg(j, start=None, end=None, losses=(2.0, 1.5), index=None):
    return Segment(j if index is None else index, IDS[j] if start is None else start,
                   IDS[j + 1] if end is None else end, losses)


@pytest.mark.parametrize("name,kwargs,expected", [
    ("root", {"transcript_root": keccak(b"x")}, "transcript_root"),
    ("base", {"base": keccak(b"other head")}, "claim_base"),
    ("steps", {"steps": 10}, "steps"),
])
def test_claim_field_rules(name, kwargs, expected):
    v = check(*view_and_claim(**kwargs))
    assert v.decision == "reject" and v.reason["check"] == expected


def test_segment_count_times_k_must_be_steps():
    v = check(*view_and_claim(segments=[seg(j) for j in range(S - 1)], result=IDS[S - 1]))
    assert v.reason == {"check": "steps", "expected": 8, "got": 6, "what": "segments * k", "segments": 3, "k": 2}


@pytest.mark.parametrize("field,kwargs", [
    ("worker", {"worker": address(2)}), ("round", {"round": 3}), ("spec_hash", {"spec_hash": keccak(b"s")}),
])
def test_header_rules(field, kwargs):
    v = check(*view_and_claim(**kwargs))
    assert v.reason["check"] == f"transcript_{field}"


def test_indices_contiguous():
    segments = [seg(0), seg(1), seg(2, index=5), seg(3)]
    assert check(*view_and_claim(segments)).reason == {"check": "segment_index", "segment": 2, "expected": 2, "got": 5}


def test_losses_count_and_finite():
    assert check(*view_and_claim([seg(0), seg(1, losses=(1.0,)), seg(2), seg(3)])).reason["check"] == "losses_count"
    v = check(*view_and_claim([seg(0), seg(1), seg(2), seg(3, losses=(1.0, float("inf")))]))
    assert v.reason == {"check": "losses_finite", "segment": 3, "step": 7, "got": "inf"}


def test_start_is_head_chain_and_result():
    assert check(*view_and_claim(), head=keccak(b"h")).reason["check"] == "claim_base"
    view, claim = view_and_claim(base=keccak(b"h"))
    assert check(view, claim, head=keccak(b"h")).reason["check"] == "start_is_head"
    v = check(*view_and_claim([seg(0), seg(1), seg(2, start=keccak(b"gap")), seg(3)]))
    assert v.reason["check"] == "chain" and v.reason["segment"] == 2
    assert check(*view_and_claim(result=keccak(b"r"))).reason["check"] == "end_is_result"


def test_prover_rules_are_a_backstop():
    # 0.1 is not a float32 value: the leaf still hashes it (as float32), the prover's own rules refuse it.
    v = check(*view_and_claim([seg(0, losses=(0.1, 1.5)), seg(1), seg(2), seg(3)]))
    assert v.reason["check"] == "transcript_invalid" and "float32" in v.reason["detail"]


def test_parse_refuses_what_cannot_be_bound():
    for junk in [b"", b"{}", b'{"segments": []}', b"\x00" * 8, b'{"segments":[{"index":0}]}']:
        with pytest.raises(MalformedArtifact):
            parse_transcript(junk)


def test_content_matches_binds_each_kind():
    view, _ = view_and_claim()
    data = transcript_json(EXACT.spec_hash(), 0, WORKER, K, [seg(j) for j in range(S)])
    assert content_matches(view.root, data) and not content_matches(keccak(b"x"), data)
    import blake3
    assert content_matches(blake3.blake3(b"raw").digest(), b"raw")
    assert not content_matches(keccak(b"x"), b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
