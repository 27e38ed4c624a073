"""Transcripts: canonical bytes round-trip; untrusted bytes are validated strictly."""

import json

import pytest

from prover import Segment, Transcript, TranscriptError

from job_keys import JOB_KEY, OTHER_JOB_KEY

A, B, C = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32


def make(**changes):
    base = dict(job_key=JOB_KEY, spec_hash=b"\x09" * 32, round=2, worker="0x" + "AB" * 20, checkpoint_every=2,
                segments=(Segment(0, A, B, (2.5, 1.25)), Segment(1, B, C, (1.0, 0.5))))
    base.update(changes)
    return Transcript(**base)


def test_round_trip_is_exact():
    t = make()
    raw = t.to_bytes()
    assert Transcript.from_bytes(raw) == t
    assert Transcript.from_bytes(raw).to_bytes() == raw
    assert t.worker == "0x" + "ab" * 20 and t.base == A and t.result == C and t.steps == 4
    assert t.boundary_ids() == [A, B, C]


def test_the_header_carries_the_job_key():
    t = make()
    assert json.loads(t.to_bytes())["job_key"] == "0x" + JOB_KEY.hex()
    assert Transcript.from_bytes(t.to_bytes()).job_key == JOB_KEY
    assert make(job_key=OTHER_JOB_KEY).to_bytes() != t.to_bytes()


def test_root_commits_to_every_field_of_every_segment():
    root = make().root
    assert make(segments=(Segment(0, A, B, (2.5, 1.25)), Segment(1, B, A, (1.0, 0.5)))).root != root
    assert make(segments=(Segment(0, A, B, (2.5, 1.25)), Segment(1, B, C, (1.0, 0.25)))).root != root
    assert make(segments=(Segment(0, C, B, (2.5, 1.25)), Segment(1, B, C, (1.0, 0.5)))).root != root


def mutated(fn):
    obj = json.loads(make().to_bytes())
    fn(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize("raw, message", [
    (make().to_bytes().replace(b'{"', b'{ "', 1), "not canonical"),
    (b"\xff", "not UTF-8 JSON"),
    (mutated(lambda o: o.update(extra=1)), r"unknown field\(s\) \['extra'\]"),
    (mutated(lambda o: o.pop("round")), r"missing field\(s\) \['round'\]"),
    (mutated(lambda o: o["segments"][1].update(start="0x" + "04" * 32)), "segment 1 starts at"),
    (mutated(lambda o: o["segments"][1].update(index=5)), "indices must be 0..S-1"),
    (mutated(lambda o: o["segments"][0]["losses"].append(1.0)), "expected k=2"),
    (mutated(lambda o: o["segments"][0]["losses"].__setitem__(0, 0.1)), "not a finite float32"),
    (mutated(lambda o: o["segments"][0]["losses"].__setitem__(0, 1)), "not a finite float32"),
    (mutated(lambda o: o.update(worker="0x1234")), "20-byte hex address"),
    (mutated(lambda o: o.update(spec_hash="0x12")), "spec_hash must be 0x followed by 64 hex digits"),
    (mutated(lambda o: o.update(segments=[])), "at least one segment"),
    (mutated(lambda o: o.update(round=-1)), "non-negative integer"),
    # A v1 transcript (no job key) is not a v2 one: the header must bind the job.
    (mutated(lambda o: (o.pop("job_key"), o.update(version=1))), r"missing field\(s\) \['job_key'\]"),
    (mutated(lambda o: o.update(version=1)), "transcript version must be 2"),
    (mutated(lambda o: o.update(job_key="0x12")), "job_key must be 0x followed by 64 hex digits"),
])
def test_untrusted_bytes_are_refused_with_a_reason(raw, message):
    with pytest.raises(TranscriptError, match=message):
        Transcript.from_bytes(raw)
