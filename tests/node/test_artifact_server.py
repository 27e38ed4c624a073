"""The artifact server over real HTTP: good artifacts served and re-checked, every bad request refused."""
from __future__ import annotations

import httpx
import pytest
import torch

from node.api.app import create_app
from node.api.context import NodeContext
from node.api.server import BackgroundServer
from node.api.upload_policy import UploadPolicy
from node.artifact_store import ArtifactStore, blob_id
from node.chain.devaccounts import dev_account
from node.state import NodeState
from node.upload_client import upload_artifact
from prover.checkpoint import checkpoint_id, checkpoint_to_bytes

MAX_BYTES = 64 * 1024
PEER = dev_account(1)  # the one peer the server accepts uploads from (tests/node/test_uploads.py: who may upload)


@pytest.fixture()
def server(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts", max_bytes=MAX_BYTES)
    state = NodeState(tmp_path / "node.db")
    address = "0x" + "11" * 20
    uploads = UploadPolicy.open(state, 31337, address, [PEER.address], quota_bytes=16 * MAX_BYTES)
    context = NodeContext(role="worker", address=address, chain_id=31337, ledger_address="0x" + "22" * 20,
                          store=store, state=state, uploads=uploads)
    running = BackgroundServer(create_app(context)).start()
    yield running, store
    running.stop()


def a_checkpoint() -> tuple[bytes, bytes]:
    tensors = {"param/w": torch.arange(12, dtype=torch.float32).reshape(3, 4)}
    cid = checkpoint_id(tensors)
    return cid, checkpoint_to_bytes(tensors, cid)


def test_serves_a_stored_checkpoint_byte_for_byte(server):
    running, store = server
    cid, data = a_checkpoint()
    store.put("checkpoint", data, expected_id=cid)
    response = httpx.get(f"{running.url}/artifacts/{cid.hex()}")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["x-artifact-kind"] == "checkpoint"
    assert httpx.get(f"{running.url}/artifacts/0x{cid.hex()}").content == data


@pytest.mark.parametrize("bad_id", ["zz" * 32, "abc", "00" * 33, "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "0x" + "g" * 64])
def test_refuses_malformed_ids_and_path_tricks(server, bad_id):
    running, _ = server
    response = httpx.get(f"{running.url}/artifacts/{bad_id}")
    assert response.status_code in (400, 404)
    assert response.status_code == 404 or "not 64 hex characters" in response.json()["detail"]


def test_path_traversal_never_leaves_the_store(server):
    running, _ = server
    for path in ("/artifacts/../../etc/passwd", "/artifacts/%2e%2e/%2e%2e/etc/passwd", "/artifacts//etc/passwd"):
        response = httpx.get(running.url + path)
        assert response.status_code in (400, 404)
        assert b"root:" not in response.content


def test_unknown_id_is_404(server):
    running, _ = server
    response = httpx.get(f"{running.url}/artifacts/{'ab' * 32}")
    assert response.status_code == 404
    assert "not stored here" in response.json()["detail"]


def test_upload_accepted_only_when_content_matches_its_id(server):
    running, store = server
    cid, data = a_checkpoint()
    wrong = bytes(32)
    refused = upload_artifact(running.url, wrong, "checkpoint", data, PEER)
    assert refused.status_code == 422 and "does not match its id" in refused.json()["detail"]
    assert not store.has(wrong) and not store.has(cid)
    accepted = upload_artifact(running.url, cid, "checkpoint", data, PEER)
    assert accepted.status_code == 201 and store.has(cid)


def test_upload_of_garbage_as_checkpoint_is_refused(server):
    running, store = server
    garbage = b"not a safetensors file"
    response = upload_artifact(running.url, blob_id(garbage), "checkpoint", garbage, PEER)
    assert response.status_code == 422 and "not a valid checkpoint" in response.json()["detail"]


def test_oversize_upload_is_refused_and_nothing_is_written(server):
    running, store = server
    big = b"\0" * (MAX_BYTES + 1)
    response = upload_artifact(running.url, blob_id(big), "blob", big, PEER)
    assert response.status_code == 413 and "exceeds the limit" in response.json()["detail"]
    assert not any(store.root.iterdir())


def test_a_file_altered_on_disk_is_not_served(server):
    running, store = server
    data = b"transcript-like bytes"
    hex_id = store.put("blob", data)
    path, _ = store.path(hex_id)
    path.write_bytes(b"tampered bytes")
    response = httpx.get(f"{running.url}/artifacts/{hex_id}")
    assert response.status_code == 404 and b"tampered" not in response.content  # quarantined, then missing


def test_a_file_served_before_and_then_altered_by_one_byte_is_not_served(server, monkeypatch):
    """The store derives an id once and then checks a digest of the bytes: a change after that is still caught."""
    import node.artifact_store as artifact_store

    running, store = server
    cid, data = a_checkpoint()
    store.put("checkpoint", data, expected_id=cid)
    derived = []
    real = artifact_store.ID_FUNCTIONS["checkpoint"]
    monkeypatch.setitem(artifact_store.ID_FUNCTIONS, "checkpoint", lambda b: (derived.append(1), real(b))[1])
    for _ in range(3):
        assert httpx.get(f"{running.url}/artifacts/{cid.hex()}").content == data
    assert derived == [], "bytes whose id was derived at put are not parsed again on every read"
    path, _ = store.path(cid)
    altered = bytearray(data)
    altered[-1] ^= 0x01  # one bit of the last tensor's last float
    path.write_bytes(bytes(altered))
    response = httpx.get(f"{running.url}/artifacts/{cid.hex()}")
    assert response.status_code == 404 and derived == [1]  # derived again, did not match: quarantined
    assert list((store.root / artifact_store.QUARANTINE_DIR).iterdir())


def test_a_workers_own_transcript_is_stored_without_deriving_its_id_and_still_checked_when_read(server, monkeypatch):
    """put_own: the prover computed the id; the bytes are served, and a change on disk after that is caught."""
    import node.artifact_store as artifact_store

    running, store = server
    cid, data = a_checkpoint()
    derived = []
    real = artifact_store.ID_FUNCTIONS["checkpoint"]
    monkeypatch.setitem(artifact_store.ID_FUNCTIONS, "checkpoint", lambda b: (derived.append(1), real(b))[1])
    assert store.put_own("checkpoint", data, cid) == cid.hex()
    assert httpx.get(f"{running.url}/artifacts/{cid.hex()}").content == data
    assert derived == [], "neither the put nor the read derived the id"
    path, _ = store.path(cid)
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 0x01]))
    assert httpx.get(f"{running.url}/artifacts/{cid.hex()}").status_code == 404 and derived == [1]
    with pytest.raises(artifact_store.ArtifactError, match="kind must be one of"):
        store.put_own("model", data, cid)


def test_status_and_openapi_are_served(server):
    running, _ = server
    status = httpx.get(f"{running.url}/status").json()
    assert status["role"] == "worker" and status["chain_id"] == 31337
    paths = httpx.get(f"{running.url}/openapi.json").json()["paths"]
    assert {"/artifacts/{artifact_id}", "/status", "/claims", "/rounds"} <= set(paths)
