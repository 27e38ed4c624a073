"""Bad input never crashes the verifier: each case gives an abstention (cannot be bound to the claim) or a
rejection (bound to it by hashes), with a reason. Real HTTP throughout."""
from __future__ import annotations

import socket

import pytest
import torch
from eth_utils import keccak

from node.fetch import FetchConfig, HttpFetcher
from prover.checkpoint import checkpoint_id, checkpoint_to_bytes
from verifier.verify import verify_claim
from verifier_helpers import EXACT, TOLERANCE, address, genesis, package, trajectory

SEED, VERIFIER, WORKER = keccak(b"seed"), address(1, 0xB), address(5)


@pytest.fixture(scope="module")
def honest():
    head = genesis(EXACT)
    boundaries, losses = trajectory(EXACT, head, 0, WORKER)
    return checkpoint_id(head), boundaries, losses


def run(server, ns, claim, head_id, artifacts, spec=EXACT, config=None):
    server.publish(ns, artifacts)
    with (server.fetcher(ns, config) if config else server.fetcher(ns)) as fetch:
        return verify_claim(spec, claim, head_id, SEED, VERIFIER, fetch)


def test_malformed_transcript_abstains(artifact_server, honest):
    head_id, b, l = honest
    pkg = package(EXACT, 0, WORKER, b, l)
    for i, junk in enumerate([b"not json at all", b'{"segments": "nope"}', b"[1,2,3]", b"\xff\xfe",
                              pkg.transcript_bytes[:-5]]):
        v = run(artifact_server, f"b-mal{i}", pkg.claim, head_id, {**pkg.artifacts, pkg.claim.transcript_root: junk})
        assert v.decision == "abstain" and v.reason["check"] == "transcript_malformed", v.reason


def test_committed_but_broken_transcript_is_rejected(artifact_server, honest):
    head_id, b, l = honest
    losses = [list(x) for x in l]
    losses[2][1] = float("nan")  # the worker committed to a NaN loss: the root binds it
    pkg = package(EXACT, 0, WORKER, b, losses)
    v = run(artifact_server, "b-nan", pkg.claim, head_id, pkg.artifacts)
    assert v.decision == "reject" and v.reason == {"check": "losses_finite", "segment": 2, "step": 5, "got": "nan"}


def test_wrong_content_type_abstains(artifact_server, honest):
    head_id, b, l = honest
    pkg = package(EXACT, 0, WORKER, b, l)
    artifacts = {**pkg.artifacts, pkg.claim.transcript_root: (200, "text/html", pkg.transcript_bytes)}
    v = run(artifact_server, "b-ctype", pkg.claim, head_id, artifacts)
    assert v.decision == "abstain" and v.reason["check"] == "transcript_unavailable"
    assert "content type 'text/html'" in v.reason["detail"]


def test_oversize_artifact_abstains(artifact_server, honest):
    head_id, b, l = honest
    pkg = package(EXACT, 0, WORKER, b, l)
    small = FetchConfig(max_bytes=len(pkg.transcript_bytes) + 10, attempts=1)  # checkpoints are ~40 kB
    v = run(artifact_server, "b-big", pkg.claim, head_id, pkg.artifacts, config=small)
    assert v.decision == "abstain" and v.reason["check"] == "checkpoint_unavailable"
    assert "exceeds the limit" in v.reason["detail"]


def test_hash_mismatch_abstains(artifact_server, honest):
    head_id, b, l = honest
    pkg = package(EXACT, 0, WORKER, b, l)
    artifacts = dict(pkg.artifacts)
    for j in range(1, len(b) - 1):  # every interior checkpoint id serves the bytes of its neighbour
        artifacts[checkpoint_id(b[j])] = checkpoint_to_bytes(b[j + 1])
    artifacts[head_id] = checkpoint_to_bytes(b[1])
    v = run(artifact_server, "b-hash", pkg.claim, head_id, artifacts)
    assert v.decision == "abstain" and v.reason["check"] == "checkpoint_unavailable", v.reason
    assert all(m["check"] == "checkpoint_mismatch" for m in v.reason["missing"])


def test_hash_mismatch_with_a_lax_fetch_still_abstains(honest):
    """The core re-checks ids itself, whatever fetch callable it is given."""
    head_id, b, l = honest
    pkg = package(EXACT, 0, WORKER, b, l)
    served = dict(pkg.artifacts)
    served[head_id] = checkpoint_to_bytes(b[1])
    for j in range(1, len(b) - 1):
        served[checkpoint_id(b[j])] = checkpoint_to_bytes(b[j + 1])
    v = verify_claim(EXACT, pkg.claim, head_id, SEED, VERIFIER, served.__getitem__)  # KeyError never raised here
    assert v.decision == "abstain" and v.reason["missing"][0]["check"] == "checkpoint_mismatch", v.reason


def test_missing_checkpoint_abstains(artifact_server, honest):
    head_id, b, l = honest
    pkg = package(EXACT, 0, WORKER, b, l)
    artifacts = {k: v for k, v in pkg.artifacts.items() if k in (pkg.claim.transcript_root, pkg.claim.result)}
    v = run(artifact_server, "b-missing", pkg.claim, head_id, artifacts)
    assert v.decision == "abstain" and v.reason["check"] == "checkpoint_unavailable"
    assert "HTTP 404" in v.reason["missing"][0]["detail"] and v.reason["segments"]


def test_unreachable_worker_abstains(honest):
    head_id, b, l = honest
    pkg = package(EXACT, 0, WORKER, b, l)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    cfg = FetchConfig(connect_timeout_s=0.3, attempts=2, backoff_s=0.01)
    with HttpFetcher(f"http://127.0.0.1:{port}", cfg) as fetch:
        v = verify_claim(EXACT, pkg.claim, head_id, SEED, VERIFIER, fetch)
    assert v.decision == "abstain" and v.reason["check"] == "transcript_unavailable"
    assert "gave up after 2 attempts" in v.reason["detail"]


def test_a_fetch_that_raises_anything_abstains(honest):
    head_id, b, l = honest
    pkg = package(EXACT, 0, WORKER, b, l)

    def broken(_):
        raise RuntimeError("disk on fire")

    v = verify_claim(EXACT, pkg.claim, head_id, SEED, VERIFIER, broken)
    assert v.decision == "abstain" and v.reason == {"check": "internal_error", "error": "RuntimeError: disk on fire"}


def test_bad_node_inputs_abstain(honest):
    head_id, b, l = honest
    pkg = package(EXACT, 0, WORKER, b, l)
    fetch = pkg.artifacts.__getitem__
    assert verify_claim(EXACT, pkg.claim, head_id, b"short seed", VERIFIER, fetch).reason["check"] == "bad_input"
    assert verify_claim(EXACT, pkg.claim, head_id, SEED, "0xnope", fetch).reason["check"] == "bad_input"
    assert verify_claim(EXACT, None, head_id, SEED, VERIFIER, fetch).reason["check"] == "internal_error"


def test_committed_checkpoint_with_wrong_layout_is_rejected(artifact_server, honest):
    head_id, b, l = honest
    # Within the spec's size bound (a larger checkpoint is refused unread: test_bounded_inputs.py): one
    # tensor missing, an unexpected one in its place.
    bad_result = {n: t for n, t in b[-1].items() if n != "optim/layers.1.bias/momentum_buffer"}
    bad_result["param/extra"] = torch.zeros(3)
    pkg = package(EXACT, 0, WORKER, b[:-1] + [bad_result], l)
    v = run(artifact_server, "b-layout", pkg.claim, head_id, pkg.artifacts)
    assert v.decision == "reject" and v.reason["check"] == "checkpoint_layout" and v.reason["checkpoint"] == "result"
    assert "param/extra" in v.reason["detail"]
    # a dtype change (the weights' bits as int32: same size) in a tolerance-mode end checkpoint
    head = genesis(TOLERANCE)
    tb, tl = trajectory(TOLERANCE, head, 0, WORKER)
    tb[2] = {n: t.view(torch.int32) if n.startswith("param/") else t for n, t in tb[2].items()}
    pkg = package(TOLERANCE, 0, WORKER, tb, tl)
    v = run(artifact_server, "b-dtype", pkg.claim, checkpoint_id(head), pkg.artifacts, spec=TOLERANCE)
    assert v.decision == "reject" and v.reason["check"] == "checkpoint_layout", v.reason
    assert "int32" in v.reason["detail"]


def test_committed_checkpoint_with_nan_is_rejected(artifact_server):
    head = genesis(TOLERANCE)
    tb, tl = trajectory(TOLERANCE, head, 0, WORKER)
    name = next(n for n in tb[-1] if n.startswith("param/"))
    tb[-1] = {**tb[-1], name: torch.full_like(tb[-1][name], float("nan"))}
    pkg = package(TOLERANCE, 0, WORKER, tb, tl)
    v = run(artifact_server, "b-nanckpt", pkg.claim, checkpoint_id(head), pkg.artifacts, spec=TOLERANCE)
    assert v.decision == "reject" and v.reason["check"] == "checkpoint_finite" and v.reason["tensor"] == name
