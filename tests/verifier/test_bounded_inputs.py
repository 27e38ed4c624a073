"""Sizes are known before bytes are parsed (PROTOCOL.md §3): the spec's bounds equal the real artifacts' sizes,
and every malformed artifact is refused with a reason naming what was expected, before any tensor is built or
any JSON beyond its size is read. Real safetensors, real training, real HTTP for the end-to-end cases."""
from __future__ import annotations

import json
import re
import struct
import tracemalloc

import blake3
import pytest
import torch
from eth_utils import keccak

import prover.checkpoint as checkpoint_module
import verifier.artifacts as artifacts_module
from prover.bounds import data_bytes, expected_layout, max_checkpoint_bytes, max_header_bytes, max_transcript_bytes
from prover.bounds import WIDEST_LOSS, WIDEST_ROUND
from prover.checkpoint import checkpoint_id, checkpoint_id_from_bytes, checkpoint_to_bytes, read_header
from prover.claim import prove_claim
from prover.presets import digits_spec, tiny_gpt_spec
from prover.state import genesis
from prover.store import MemoryStore
from prover.transcript import Segment, Transcript
from verifier.artifacts import MalformedArtifact, inspect_checkpoint, parse_transcript
from verifier.verify import verify_claim
from verifier_helpers import EXACT, address, package, trajectory
from job_keys import JOB_KEY

WORKER, VERIFIER, SEED = address(7), address(2, 0xB), keccak(b"bounded seed")
PRESETS = {"digits": digits_spec, "tiny-gpt": tiny_gpt_spec}


@pytest.fixture(scope="module", params=sorted(PRESETS))
def proved(request):
    """A real claim of each preset: (spec, transcript bytes, every boundary checkpoint's bytes)."""
    spec = PRESETS[request.param]()
    store = MemoryStore()
    proof = prove_claim(spec, genesis(spec), 0, WORKER, store, job_key=JOB_KEY)
    blobs = [store._blobs[cid] for cid in proof.transcript.boundary_ids()]
    return spec, proof.transcript.to_bytes(), blobs


@pytest.fixture(scope="module")
def honest_digits():
    head = genesis(EXACT)
    boundaries, losses = trajectory(EXACT, head, 0, WORKER)
    return checkpoint_id(head), boundaries, losses


# ---- the bounds are the real sizes ------------------------------------------------------------------------

def test_layout_is_the_real_checkpoints(proved):
    spec, _, blobs = proved
    header = read_header(blobs[-1])
    assert {n: (e.dtype, e.shape) for n, e in header.tensors.items()} == expected_layout(spec)


def test_checkpoint_bound_is_the_real_size(proved):
    spec, _, blobs = proved
    for blob in blobs:
        header = read_header(blob)
        assert len(blob) - header.data_start == data_bytes(spec)  # the data section: exact
        assert header.data_start - 8 <= max_header_bytes(spec)
        # The header bound takes every offset at its widest digit count; the real file differs by no more.
        slack = max_checkpoint_bytes(spec) - len(blob)
        assert 0 <= slack <= 2 * len(str(data_bytes(spec))) * len(header.tensors) + 8, slack


def test_transcript_bound_is_the_widest_real_transcript(proved):
    spec, tbytes, _ = proved
    assert len(tbytes) <= max_transcript_bytes(spec)
    one = b"\xff" * 32
    widest = Transcript(job_key=one, spec_hash=one, round=WIDEST_ROUND, worker="0x" + "f" * 40,
                        checkpoint_every=spec.checkpoint_every,
                        segments=[Segment(j, one, one, (WIDEST_LOSS,) * spec.checkpoint_every)
                                  for j in range(spec.segments_per_claim)])
    assert len(widest.to_bytes()) == max_transcript_bytes(spec)


def test_transcript_bound_counts_index_digits():
    spec = digits_spec(steps_per_claim=120, checkpoint_every=1, samples_per_verifier=1)  # S = 120: 1-3 digits
    one = b"\x00" * 32
    widest = Transcript(job_key=one, spec_hash=one, round=WIDEST_ROUND, worker="0x" + "0" * 40, checkpoint_every=1,
                        segments=[Segment(j, one, one, (WIDEST_LOSS,)) for j in range(120)])
    assert len(widest.to_bytes()) == max_transcript_bytes(spec)


# ---- malformed checkpoints: refused from the header, no tensor built --------------------------------------

def _safetensors(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


def _header_of(blob: bytes) -> dict:
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + n])


@pytest.fixture
def no_tensor_building(monkeypatch):
    """Any attempt to deserialize tensors fails the test: the header check must have decided first."""
    def forbidden(*_, **__):
        raise AssertionError("safetensors load reached: tensors were built for a malformed checkpoint")
    monkeypatch.setattr(checkpoint_module, "st_load", forbidden)


def _real(spec=EXACT) -> bytes:
    return checkpoint_to_bytes(genesis(spec))


def _real_header(blob: bytes) -> dict:
    """The real header without its optional metadata, so that a crafted header still fits the size bound."""
    h = _header_of(blob)
    del h["__metadata__"]
    return h


def _huge_shapes():
    blob = _real()
    h = _real_header(blob)
    name = next(n for n in h if h[n]["shape"] == [64, 64])
    h[name]["shape"] = [10**9, 10**9]
    return _safetensors(h, blob[8 + struct.unpack("<Q", blob[:8])[0]:]), "shape [1000000000, 1000000000]"


def _offsets_outside():
    blob = _real()
    h = _real_header(blob)
    name = next(n for n in h if h[n]["shape"] == [64, 64])
    h[name]["data_offsets"] = [0, 10**12]
    return _safetensors(h, blob[8 + struct.unpack("<Q", blob[:8])[0]:]), "not a span within"


def _header_too_long():
    blob = _real()
    return (struct.pack("<Q", max_header_bytes(EXACT) + 8) + blob[8:],
            f"header claims {max_header_bytes(EXACT) + 8} bytes, more than the {max_header_bytes(EXACT)}")


def _header_longer_than_the_file():
    return struct.pack("<Q", 10**15) + b"{}", f"header claims {10**15} bytes, more than the"


def _oversize():
    return _real() + bytes(1024), f"more than the {max_checkpoint_bytes(EXACT)} a checkpoint of spec model"


def _duplicate_key():
    blob = _real()
    n = struct.unpack("<Q", blob[:8])[0]
    raw = json.dumps(_real_header(blob), separators=(",", ":")).encode()
    dup = b'{"__metadata__":{"a":"b"},' + raw[1:-1] + b',"__metadata__":{"a":"c"}}'
    dup += b" " * (-len(dup) % 8)
    return struct.pack("<Q", len(dup)) + dup + blob[8 + n:], "repeats a key: ['__metadata__']"


@pytest.mark.parametrize("case", [_huge_shapes, _offsets_outside, _header_too_long, _header_longer_than_the_file,
                                  _oversize, _duplicate_key])
def test_malformed_checkpoint_is_refused_from_its_header(no_tensor_building, case):
    data, reason = case()
    with pytest.raises(MalformedArtifact, match=re.escape(reason)):
        inspect_checkpoint(EXACT, data)


def _in_bound(tensors) -> bytes:
    data = checkpoint_to_bytes(tensors)
    assert len(data) <= max_checkpoint_bytes(EXACT)
    return data


@pytest.mark.parametrize("change, reason", [
    (lambda t: {**{n: v for n, v in t.items() if n != "optim/layers.1.bias/momentum_buffer"},
                "param/extra": torch.zeros(3)}, r"missing \['optim/layers.1.bias/momentum_buffer'\], unexpected \['param/extra'\]"),
    (lambda t: {n: v.view(torch.int32) if n == "param/layers.0.weight" else v for n, v in t.items()},
     r"'param/layers.0.weight' is int32 \(64, 64\), expected float32 \(64, 64\)"),
    (lambda t: {n: v.reshape(32, 128) if n == "param/layers.0.weight" else v for n, v in t.items()},
     r"is float32 \(32, 128\), expected float32 \(64, 64\)"),
])
def test_wrong_layout_is_named_before_any_tensor_is_built(no_tensor_building, change, reason):
    tensors = change(genesis(EXACT))
    data = _in_bound(tensors)
    seen = inspect_checkpoint(EXACT, data)
    assert seen.layout_problem is not None and seen.id == checkpoint_id(tensors)
    assert re.search(reason, seen.layout_problem), seen.layout_problem


def test_header_check_and_id_cost_no_more_than_the_bytes():
    """Peak memory of inspecting a checkpoint (header, id from the raw bytes) stays far below one copy of it."""
    spec = tiny_gpt_spec()
    data = _real(spec)
    tracemalloc.start()
    try:
        seen = inspect_checkpoint(spec, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen.layout_problem is None and peak < len(data) // 4, (peak, len(data))


def test_id_from_raw_bytes_is_the_checkpoint_id(proved):
    _, _, blobs = proved
    from prover.checkpoint import checkpoint_from_bytes
    assert checkpoint_id_from_bytes(blobs[-1]) == checkpoint_id(checkpoint_from_bytes(blobs[-1]))


# ---- malformed transcripts: refused before json.loads or before segments are built -------------------------

@pytest.fixture
def no_json(monkeypatch):
    def forbidden(*_, **__):
        raise AssertionError("json.loads reached")
    monkeypatch.setattr(artifacts_module.json, "loads", forbidden)


def test_oversize_transcript_is_refused_unread(no_json):
    bound = max_transcript_bytes(EXACT)
    with pytest.raises(MalformedArtifact, match=f"more than the {bound}"):
        parse_transcript(b" " * (bound + 1), max_bytes=bound, max_segments=EXACT.segments_per_claim)


def test_a_million_segments_are_refused_before_any_is_built(no_json):
    data = b'{"segments":[' + b",".join([b"{}"] * 1_000_000) + b"]}"
    with pytest.raises(MalformedArtifact, match="more than the 5 of a transcript of at most 4 segments"):
        parse_transcript(data, max_bytes=len(data), max_segments=EXACT.segments_per_claim)


def test_deep_nesting_is_refused_by_a_scan(no_json):
    data = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(MalformedArtifact, match="deeper than 8 levels"):
        parse_transcript(data, max_bytes=len(data))


def test_brackets_inside_strings_do_not_nest(honest_digits):
    """The scan skips strings: a transcript whose worker field is full of brackets is judged by structure."""
    _, b, l = honest_digits
    pkg = package(EXACT, 0, WORKER, b, l, transcript_worker="[[[[{{{{[[[[" * 3)
    view = parse_transcript(pkg.transcript_bytes)
    assert view.worker == "[[[[{{{{[[[[" * 3


def test_more_segments_than_s_are_refused(honest_digits):
    _, b, l = honest_digits
    pkg = package(EXACT, 0, WORKER, b, l)
    obj = json.loads(pkg.transcript_bytes)
    obj["segments"].append(obj["segments"][-1])
    data = json.dumps(obj).encode()
    with pytest.raises(MalformedArtifact, match=re.escape("holds 6 JSON objects ('{'), more than the 5")):
        parse_transcript(data, max_segments=4)
    # segments that are not even objects are counted after json.loads, still before any is built
    with pytest.raises(MalformedArtifact, match="lists 5 segments, more than the spec's S = 4"):
        parse_transcript(b'{"segments":[1,2,3,4,5]}', max_segments=4)


def test_bytes_parsed_before_are_not_parsed_again_and_their_bounds_still_hold(honest_digits, monkeypatch):
    """The fetcher's check and the verifier read the same transcript bytes: the second read reuses the view."""
    _, b, l = honest_digits
    pkg = package(EXACT, 0, WORKER, b, l)
    first = parse_transcript(pkg.transcript_bytes)
    monkeypatch.setattr(artifacts_module, "_parse_transcript", lambda *a: pytest.fail("parsed twice"))
    assert parse_transcript(bytearray(pkg.transcript_bytes)) is first
    with pytest.raises(MalformedArtifact, match=f"lists {len(first.segments)} segments, more than the spec's S = 2"):
        parse_transcript(pkg.transcript_bytes, max_segments=2)  # a bound the first read did not ask for
    with pytest.raises(MalformedArtifact, match="more than the 100 a transcript"):
        parse_transcript(pkg.transcript_bytes, max_bytes=100)  # checked before any look-up
    other = bytearray(pkg.transcript_bytes)
    other[other.index(b'"round":') + 8] ^= 0x01  # another round digit: other bytes, parsed afresh
    monkeypatch.undo()
    assert parse_transcript(bytes(other)).round != first.round


# ---- end to end, over real HTTP: the verifier refuses and says why ---------------------------------------------

def _verify(server, ns, pkg, head_id, artifacts):
    server.publish(ns, artifacts)
    with server.fetcher(ns) as fetch:
        return verify_claim(EXACT, pkg.claim, head_id, SEED, VERIFIER, fetch)


def test_honest_claim_verifies_under_the_bounds(artifact_server, honest_digits):
    head_id, b, l = honest_digits
    pkg = package(EXACT, 0, WORKER, b, l)
    assert _verify(artifact_server, "bd-honest", pkg, head_id, pkg.artifacts).decision == "approve"


def test_oversize_transcript_is_cut_by_the_fetcher(artifact_server, honest_digits):
    head_id, b, l = honest_digits
    pkg = package(EXACT, 0, WORKER, b, l)
    padded = pkg.transcript_bytes + b" " * max_transcript_bytes(EXACT)  # same JSON, over the bound
    v = _verify(artifact_server, "bd-bigt", pkg, head_id, {**pkg.artifacts, pkg.claim.transcript_root: padded})
    assert v.decision == "abstain" and v.reason["check"] == "transcript_unavailable"
    assert f"exceeds the limit of {max_transcript_bytes(EXACT)} bytes" in v.reason["detail"]


def test_committed_oversize_checkpoint_abstains_unread(artifact_server, honest_digits):
    head_id, b, l = honest_digits
    bigger = {n: t.double() if n.startswith("param/") else t for n, t in b[-1].items()}  # float64: 1.5x the bytes
    pkg = package(EXACT, 0, WORKER, b[:-1] + [bigger], l)
    v = _verify(artifact_server, "bd-bigc", pkg, head_id, pkg.artifacts)
    assert v.decision == "abstain" and v.reason["check"] == "checkpoint_unavailable"
    assert f"exceeds the limit of {max_checkpoint_bytes(EXACT)} bytes" in v.reason["detail"]


def test_hash_consistent_huge_shapes_abstain(artifact_server, honest_digits, no_tensor_building):
    """Bytes that hash (raw BLAKE3) to the id the transcript names pass the fetcher; the header refuses them."""
    head_id, b, l = honest_digits
    junk, _ = _huge_shapes()
    junk_id = blake3.blake3(junk).digest()
    pkg = package(EXACT, 0, WORKER, b, l)
    # the transcript commits to junk_id as its result: rebuild the package around it
    from prover.merkle import merkle_root
    from prover.transcript import leaf_hash
    from verifier.claim import Claim
    from verifier_helpers import transcript_json
    ids = [checkpoint_id(t) for t in b[:-1]] + [junk_id]
    segments = [Segment(j, ids[j], ids[j + 1], tuple(l[j])) for j in range(len(l))]
    tbytes = transcript_json(EXACT.spec_hash(), 0, WORKER, EXACT.checkpoint_every, segments)
    root = merkle_root([leaf_hash(s) for s in segments])
    claim = Claim(claim_id=1, worker=WORKER, round=0, base=ids[0], result=junk_id, transcript_root=root,
                  steps=EXACT.steps_per_claim, job_key=JOB_KEY)
    artifacts = {**{k: v for k, v in pkg.artifacts.items() if k != pkg.claim.transcript_root},
                 root: tbytes, junk_id: junk}
    artifact_server.publish("bd-huge", artifacts)
    with artifact_server.fetcher("bd-huge") as fetch:
        v = verify_claim(EXACT, claim, head_id, SEED, VERIFIER, fetch)
    assert v.decision == "abstain" and v.reason["check"] == "checkpoint_malformed", v.reason
    assert "shape [1000000000, 1000000000]" in v.reason["detail"]
