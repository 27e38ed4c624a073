"""GET of unstored checkpoints over real HTTP, on a store holding a real digits claim: only ids named by the node's
own transcripts are replayed, one replay at a time, and a file or replay that does not match its id is a 404."""
from __future__ import annotations

import dataclasses
import logging
import shutil

import httpx
import pytest

from node.api.app import create_app
from node.api.context import NodeContext
from node.api.server import BackgroundServer
from node.api.upload_policy import UploadPolicy
from node.artifact_store import QUARANTINE_DIR, ArtifactStore, content_id
from node.chain.devaccounts import dev_account
from node.regeneration import Regeneration
from node.state import NodeState
from node.upload_client import upload_artifact
from prover import DirStore, digits_spec, genesis, prove_claim
from job_keys import JOB_KEY

OWNER = "0x" + "a1" * 20
STRANGER = "0x" + "b2" * 20
PEER = dev_account(1)  # a peer this node accepts uploads from: it may upload other workers' transcripts


@pytest.fixture(scope="module")
def claim(tmp_path_factory):
    """One real claim: 3 segments, boundaries 0, 2 and 3 stored (keep_every=2), boundary 1 left to replay."""
    spec = digits_spec()
    root = tmp_path_factory.mktemp("claim")
    proof = prove_claim(spec, genesis(spec), 0, OWNER, DirStore(root), keep_every=2, job_key=JOB_KEY)
    ArtifactStore(root).put("transcript", proof.transcript.to_bytes(), expected_id=proof.transcript.root)
    return spec, root, proof.transcript


@pytest.fixture()
def node(claim, tmp_path):
    spec, template, transcript = claim
    shutil.copytree(template, tmp_path / "artifacts")
    store = ArtifactStore(tmp_path / "artifacts")
    regeneration = Regeneration(store, OWNER, lambda: spec)
    state = NodeState(tmp_path / "node.db")
    uploads = UploadPolicy.open(state, 31337, OWNER, [PEER.address], quota_bytes=64 * 1024 * 1024)
    context = NodeContext(role="worker", address=OWNER, chain_id=31337, ledger_address="0x" + "22" * 20,
                          store=store, state=state, on_missing=regeneration.regenerate, uploads=uploads)
    server = BackgroundServer(create_app(context)).start()
    yield server.url, store, regeneration, transcript
    server.stop()


def get(url: str, checkpoint: bytes) -> httpx.Response:
    return httpx.get(f"{url}/artifacts/{checkpoint.hex()}", timeout=60)


def test_an_unstored_boundary_of_an_own_transcript_is_regenerated(node):
    url, store, _, transcript = node
    wanted = transcript.boundary_ids()[1]
    assert not store.has(wanted)
    response = get(url, wanted)
    assert response.status_code == 200
    assert content_id("checkpoint", response.content) == wanted
    assert store.has(wanted)


def test_the_index_is_built_once_and_unknown_ids_never_read_transcripts(node):
    url, store, regeneration, transcript = node
    assert len(regeneration) == 4  # the 4 boundaries of the one transcript
    # Garbage where the transcript was: a GET that scanned the store would fail to parse it.
    path, _ = store.path(transcript.root)
    path.write_bytes(b"{not json")
    response = get(url, bytes.fromhex("ab" * 32))
    assert response.status_code == 404 and "not stored here" in response.json()["detail"]


def test_transcripts_of_another_worker_or_not_indexed_name_nothing_regenerable(node, claim):
    url, store, regeneration, transcript = node
    spec = claim[0]
    # Another worker's claim, uploaded by a peer over PUT: its boundaries must not make this node train.
    theirs = prove_claim(spec, genesis(spec), 0, STRANGER, DirStore(store.root / "elsewhere"), keep_every=2,
                         job_key=JOB_KEY)
    upload = upload_artifact(url, theirs.transcript.root, "transcript", theirs.transcript.to_bytes(), PEER)
    assert upload.status_code == 201
    regeneration.add(theirs.transcript)  # even if the worker were told about it, it is not its own
    assert get(url, theirs.transcript.boundary_ids()[1]).status_code == 404
    assert not store.has(theirs.transcript.boundary_ids()[1])


def test_a_second_regeneration_while_one_runs_is_503_with_retry_after(node):
    url, store, regeneration, transcript = node
    wanted = transcript.boundary_ids()[1]
    with regeneration._replay_lock:  # the state a running replay holds: taken here rather than timed
        busy = get(url, wanted)
        unknown = get(url, bytes.fromhex("cd" * 32))
    assert busy.status_code == 503 and int(busy.headers["retry-after"]) > 0
    assert "another regeneration is running" in busy.json()["detail"]
    assert unknown.status_code == 404  # unknown ids are never held up by a replay
    assert get(url, wanted).status_code == 200


def test_a_tampered_stored_checkpoint_is_quarantined_and_regenerated(node, caplog):
    url, store, _, transcript = node
    stored = transcript.boundary_ids()[2]
    path, _ = store.path(stored)
    good = path.read_bytes()
    path.write_bytes(good[:-8] + b"\0" * 8)
    with caplog.at_level(logging.WARNING, logger="gradchain.artifacts"):
        response = get(url, stored)
    assert response.status_code == 200 and content_id("checkpoint", response.content) == stored
    quarantined = list((store.root / QUARANTINE_DIR).iterdir())
    assert [p.name.split(".")[0] for p in quarantined] == [stored.hex()]
    assert quarantined[0].read_bytes() == good[:-8] + b"\0" * 8
    assert any("does not hash to its id" in r.getMessage() for r in caplog.records)


def test_a_tampered_stored_file_that_cannot_be_regenerated_is_404_not_500(node, caplog):
    url, store, _, _ = node
    hex_id = store.put("blob", b"some evidence")
    path, _ = store.path(hex_id)
    path.write_bytes(b"tampered evidence")
    with caplog.at_level(logging.WARNING, logger="gradchain.artifacts"):
        response = httpx.get(f"{url}/artifacts/{hex_id}")
    assert response.status_code == 404
    assert not store.has(hex_id) and (store.root / QUARANTINE_DIR).is_dir()
    assert any(hex_id in r.getMessage() for r in caplog.records)
    assert httpx.get(f"{url}/artifacts/{hex_id}").status_code == 404  # and stays a plain 404


def test_a_replay_from_a_tampered_base_is_logged_and_404(node, caplog):
    url, store, _, transcript = node
    base, wanted = transcript.boundary_ids()[:2]
    path, _ = store.path(base)
    path.write_bytes(path.read_bytes()[:-8] + b"\0" * 8)
    with caplog.at_level(logging.WARNING, logger="gradchain.regeneration"):
        response = get(url, wanted)
    assert response.status_code == 404 and "could not be regenerated" in response.json()["detail"]
    assert not store.has(wanted)
    assert any(f"regeneration of checkpoint {wanted.hex()} failed" in r.getMessage() for r in caplog.records)


def test_a_replay_that_does_not_reproduce_the_committed_id_is_404(node, caplog):
    url, store, regeneration, transcript = node
    # The node's own transcript, but committing to an id that replay cannot give (bit rot, a cheat's leftovers).
    forged_id = bytes.fromhex("ee" * 32)
    first, second, *rest = transcript.segments
    forged = dataclasses.replace(transcript, segments=(dataclasses.replace(first, end_id=forged_id),
                                                       dataclasses.replace(second, start_id=forged_id), *rest))
    store.put("transcript", forged.to_bytes(), expected_id=forged.root)
    regeneration.add(forged)
    with caplog.at_level(logging.WARNING, logger="gradchain.regeneration"):
        response = get(url, forged_id)
    assert response.status_code == 404 and "could not be regenerated" in response.json()["detail"]
    assert not store.has(forged_id)
    assert any(forged_id.hex() in r.getMessage() for r in caplog.records)
