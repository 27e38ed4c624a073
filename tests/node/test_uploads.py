"""PUT /artifacts over real HTTP: off by default; on, only signed uploads from named peers, within a quota
that is kept in the node's SQLite across restarts."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from node.api.app import create_app
from node.api.context import NodeContext
from node.api.server import BackgroundServer
from node.api.upload_auth import NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, UPLOADER_HEADER, sign_upload
from node.api.upload_policy import UploadPolicy
from node.artifact_store import ArtifactStore, blob_id
from node.chain.devaccounts import dev_account
from node.state import NodeState
from node.upload_client import upload_artifact

REPO = Path(__file__).resolve().parents[2]
NODE = dev_account(0)
PEER = dev_account(1)
OTHER_PEER = dev_account(2)
STRANGER = dev_account(3)
CHAIN_ID = 31337
QUOTA = 1000
MAX_BYTES = 64 * 1024


class Node:
    """One node's HTTP server over a data directory; `restart()` serves the same node.db and artifacts anew."""

    def __init__(self, root: Path, peers: list[str] | None):
        self.root, self.peers = root, peers
        self.server: BackgroundServer | None = None
        self.start()

    def start(self) -> None:
        state = NodeState(self.root / "node.db")
        self.store = ArtifactStore(self.root / "artifacts", max_bytes=MAX_BYTES)
        uploads = UploadPolicy.open(state, CHAIN_ID, NODE.address, self.peers, QUOTA) if self.peers else None
        context = NodeContext(role="verifier", address=NODE.address, chain_id=CHAIN_ID,
                              ledger_address="0x" + "22" * 20, store=self.store, state=state, uploads=uploads)
        self.server = BackgroundServer(create_app(context)).start()
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture()
def node(tmp_path):
    running = Node(tmp_path, [PEER.address, OTHER_PEER.address])
    yield running
    running.stop()


@pytest.fixture()
def closed_node(tmp_path):
    running = Node(tmp_path, None)
    yield running
    running.stop()


def blob(n: int, salt: bytes = b"") -> tuple[bytes, bytes]:
    data = (salt + b"x" * n)[:n]  # a salt tells blobs of one size apart
    return blob_id(data), data


def test_a_node_context_refuses_uploads_unless_given_a_policy(tmp_path):
    context = NodeContext(role="worker", address=NODE.address, chain_id=CHAIN_ID, ledger_address="0x" + "22" * 20,
                          store=ArtifactStore(tmp_path / "a"), state=NodeState(tmp_path / "node.db"))
    assert context.accept_uploads is False and context.uploads is None


def test_default_node_refuses_anonymous_and_signed_uploads_and_says_how_to_turn_them_on(closed_node):
    bid, data = blob(10)
    anonymous = httpx.put(f"{closed_node.url}/artifacts/{bid.hex()}?kind=blob", content=data)
    assert anonymous.status_code == 403
    assert "uploads are off" in anonymous.json()["detail"]
    assert "--accept-uploads-from" in anonymous.json()["detail"] and "--upload-quota" in anonymous.json()["detail"]
    signed = upload_artifact(closed_node.url, bid, "blob", data, PEER)
    assert signed.status_code == 403 and "uploads are off" in signed.json()["detail"]
    assert not closed_node.store.has(bid)


def test_anonymous_upload_is_refused_by_a_node_that_accepts_peers(node):
    bid, data = blob(10)
    response = httpx.put(f"{node.url}/artifacts/{bid.hex()}?kind=blob", content=data)
    assert response.status_code == 403
    assert UPLOADER_HEADER in response.json()["detail"] and SIGNATURE_HEADER in response.json()["detail"]
    assert not node.store.has(bid)


def test_upload_signed_by_a_key_not_listed_is_refused(node):
    bid, data = blob(10)
    response = upload_artifact(node.url, bid, "blob", data, STRANGER)
    assert response.status_code == 403
    assert f"{STRANGER.address} is not a peer" in response.json()["detail"]
    assert not node.store.has(bid)


def test_a_listed_peer_upload_is_stored_then_served(node):
    bid, data = blob(100, b"peer bytes")
    response = upload_artifact(node.url, bid, "blob", data, PEER)
    assert response.status_code == 201, response.text
    assert response.json() == {"id": bid.hex(), "kind": "blob", "size": 100, "uploader": PEER.address}
    served = httpx.get(f"{node.url}/artifacts/{bid.hex()}")
    assert served.status_code == 200 and served.content == data and served.headers["x-artifact-kind"] == "blob"


def signed_headers(bid: bytes, **changes) -> dict[str, str]:
    args = {"account": PEER, "chain_id": CHAIN_ID, "node_address": NODE.address, "artifact_id": bid.hex(),
            "kind": "blob", "timestamp": None}
    args.update(changes)
    return sign_upload(**args)


def edited(headers: dict, name: str, change) -> dict:
    """The signed headers with one of them changed relative to what was signed (never by the clock)."""
    return {**headers, name: change(headers[name])}


@pytest.mark.parametrize("case", ["other artifact", "other kind", "other node", "other chain",
                                  "stranger signs as peer", "garbage signature", "timestamp edited",
                                  "nonce edited"])
def test_a_signature_that_does_not_bind_this_upload_is_refused(node, case):
    bid, data = blob(10, case.encode())
    headers = {
        "other artifact": lambda: signed_headers(blob_id(b"something else")),
        "other kind": lambda: signed_headers(bid, kind="checkpoint"),
        "other node": lambda: signed_headers(bid, node_address=STRANGER.address),
        "other chain": lambda: signed_headers(bid, chain_id=1),
        "stranger signs as peer": lambda: {**signed_headers(bid, account=STRANGER), UPLOADER_HEADER: PEER.address},
        "garbage signature": lambda: {**signed_headers(bid), SIGNATURE_HEADER: "0x" + "ab" * 65},
        "timestamp edited": lambda: edited(signed_headers(bid), TIMESTAMP_HEADER, lambda t: str(int(t) - 1)),
        "nonce edited": lambda: {**signed_headers(bid), NONCE_HEADER: "0123456789abcdef"},
    }[case]()
    response = httpx.put(f"{node.url}/artifacts/{bid.hex()}?kind=blob", content=data, headers=headers)
    assert response.status_code == 403, response.text
    detail = response.json()["detail"]
    assert "does not recover" in detail or "not a valid signature" in detail
    assert not node.store.has(bid)


# Clear of the 300 s edge by seconds: whole-second timestamps and the time a request takes move it by up to ~1 s.
@pytest.mark.parametrize("skew_s", [-305, 305])
def test_a_timestamp_outside_the_window_is_refused(node, skew_s):
    bid, data = blob(10)
    response = upload_artifact(node.url, bid, "blob", data, PEER, timestamp=int(time.time()) + skew_s)
    assert response.status_code == 403 and "within 300 s" in response.json()["detail"]
    assert not node.store.has(bid)


@pytest.mark.parametrize("skew_s", [-290, 290])
def test_a_timestamp_inside_the_window_is_accepted(node, skew_s):
    bid, data = blob(10, str(skew_s).encode())
    response = upload_artifact(node.url, bid, "blob", data, PEER, timestamp=int(time.time()) + skew_s)
    assert response.status_code == 201, response.text


def test_a_replayed_upload_is_refused_even_after_a_restart(node):
    bid, data = blob(10)
    headers = signed_headers(bid)
    first = httpx.put(f"{node.url}/artifacts/{bid.hex()}?kind=blob", content=data, headers=headers)
    assert first.status_code == 201
    again = httpx.put(f"{node.url}/artifacts/{bid.hex()}?kind=blob", content=data, headers=headers)
    assert again.status_code == 403 and "already used" in again.json()["detail"]
    node.restart()
    after = httpx.put(f"{node.url}/artifacts/{bid.hex()}?kind=blob", content=data, headers=headers)
    assert after.status_code == 403 and "already used" in after.json()["detail"]
    assert upload_artifact(node.url, bid, "blob", data, PEER).status_code == 201  # a fresh signature is fine


def test_the_quota_is_per_peer_and_survives_a_restart(node):
    first, first_data = blob(600, b"a")
    second, second_data = blob(600, b"b")
    assert upload_artifact(node.url, first, "blob", first_data, PEER).status_code == 201
    over = upload_artifact(node.url, second, "blob", second_data, PEER)
    assert over.status_code == 429
    assert "quota of 1000 bytes: 600 stored" in over.json()["detail"] and PEER.address in over.json()["detail"]
    assert not node.store.has(second)
    # The same bytes again cost nothing: they are stored once.
    assert upload_artifact(node.url, first, "blob", first_data, PEER).status_code == 201
    assert upload_artifact(node.url, second, "blob", second_data, OTHER_PEER).status_code == 201  # its own quota
    node.restart()
    third, third_data = blob(600, b"c")
    after = upload_artifact(node.url, third, "blob", third_data, PEER)
    assert after.status_code == 429 and "600 stored" in after.json()["detail"]
    fits = blob(400, b"d")
    assert upload_artifact(node.url, fits[0], "blob", fits[1], PEER).status_code == 201
    assert node.store.has(fits[0]) and not node.store.has(third)


def test_a_chunked_upload_over_the_quota_is_refused(node):
    bid, data = blob(QUOTA + 1)

    def chunks():  # a generator body: sent chunked, no Content-Length to refuse it by
        for i in range(0, len(data), 100):
            yield data[i:i + 100]

    headers = signed_headers(bid)
    response = httpx.put(f"{node.url}/artifacts/{bid.hex()}?kind=blob", content=chunks(), headers=headers)
    assert response.status_code == 429 and "exceeds its quota" in response.json()["detail"]
    assert not node.store.has(bid)
    small = blob(QUOTA, b"fits exactly")
    assert upload_artifact(node.url, small[0], "blob", small[1], PEER).status_code == 201  # nothing was charged


def read_response(sock: socket.socket) -> str:
    """One whole HTTP response (head and a Content-Length body) from a raw socket."""
    received = b""
    while b"\r\n\r\n" not in received or len(received.partition(b"\r\n\r\n")[2]) < body_length(received):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received.decode()


def body_length(received: bytes) -> int:
    head = received.partition(b"\r\n\r\n")[0].decode().lower()
    lengths = [line.split(":", 1)[1] for line in head.splitlines() if line.startswith("content-length:")]
    return int(lengths[0]) if lengths else 0


def test_a_declared_length_over_the_quota_is_refused_before_the_body_is_read(node):
    bid = blob_id(b"never sent")
    headers = signed_headers(bid)
    host, port = node.url.removeprefix("http://").split(":")
    request = (f"PUT /artifacts/{bid.hex()}?kind=blob HTTP/1.1\r\nHost: {host}\r\n"
               f"Content-Length: {QUOTA + 1}\r\n"
               + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)  # headers only: a server that waited for the body would time out here
        answer = read_response(sock)
    assert answer.startswith("HTTP/1.1 429"), answer
    assert "exceeds its quota" in answer


def test_a_peer_upload_must_still_hash_to_its_id_and_costs_nothing_when_refused(node):
    bid, data = blob(900)
    wrong = blob_id(b"another body")
    response = upload_artifact(node.url, wrong, "blob", data, PEER)
    assert response.status_code == 422 and "does not match its id" in response.json()["detail"]
    assert not node.store.has(wrong) and not node.store.has(bid)
    assert upload_artifact(node.url, bid, "blob", data, PEER).status_code == 201  # 900 of 1000 still free


def gradchain(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "node.cli", *args, "--home", str(home)], capture_output=True,
                          text=True, timeout=120, cwd=REPO, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("flags, expected", [
    (["--accept-uploads-from", PEER.address], "go together"),
    (["--upload-quota", "200MB"], "go together"),
    (["--accept-uploads-from", "0x123", "--upload-quota", "200MB"], "'0x123' is not an Ethereum address"),
    (["--accept-uploads-from", PEER.address, "--upload-quota", "lots"], "--upload-quota: size 'lots'"),
])
def test_node_run_refuses_incomplete_or_malformed_upload_flags(tmp_path, flags, expected):
    result = gradchain("node", "run", "--role", "verifier", "--job", "1", *flags, home=tmp_path / "home")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert expected in result.stderr, result.stderr
