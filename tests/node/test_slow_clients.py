"""Slow clients over raw sockets against the real node server: stalled headers are cut off, a stalled upload
body gets 408, and normal GETs are answered while dozens of stalled connections are open."""
from __future__ import annotations

import socket

import httpx
import pytest

from node.api.app import create_app
from node.api.context import NodeContext
from node.api.server import BackgroundServer
from node.api.upload_auth import sign_upload
from node.api.upload_policy import UploadPolicy
from node.artifact_store import ArtifactStore
from node.chain.devaccounts import dev_account
from node.state import NodeState

HEADER_TIMEOUT_S = 0.5
BODY_TIMEOUT_S = 0.5
# How long a test waits for the server to act on a deadline: generous, so a loaded machine cannot fail it;
# the assertion is that the server acts at all (without the deadlines it never does).
WAIT_S = 15
NODE_ADDRESS = "0x" + "11" * 20
PEER = dev_account(1)  # uploads are signed by a named peer, or refused before any body is read


@pytest.fixture()
def server(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    state = NodeState(tmp_path / "node.db")
    uploads = UploadPolicy.open(state, 31337, NODE_ADDRESS, [PEER.address], quota_bytes=1024 * 1024)
    context = NodeContext(role="worker", address=NODE_ADDRESS, chain_id=31337, ledger_address="0x" + "22" * 20,
                          store=store, state=state, uploads=uploads)
    running = BackgroundServer(create_app(context), header_timeout_s=HEADER_TIMEOUT_S,
                               body_timeout_s=BODY_TIMEOUT_S).start()
    yield running, store
    running.stop()


def connect(running) -> socket.socket:
    sock = socket.create_connection((running.host, running.port), timeout=WAIT_S)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (socket.timeout if it never does)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_half_a_request_line_is_disconnected(server):
    running, _ = server
    with connect(running) as sock:
        sock.sendall(b"GET /sta")
        assert read_until_closed(sock) == b""  # closed, with nothing sent: no request was ever made


def test_headers_trickled_byte_by_byte_are_still_cut_off(server):
    running, _ = server
    with connect(running) as sock:
        sock.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(HEADER_TIMEOUT_S / 5)
        closed = False
        for _ in range(int(WAIT_S / (HEADER_TIMEOUT_S / 5))):  # one header byte at a time, never the end
            try:
                sock.sendall(b"X")
                if sock.recv(1) == b"":
                    closed = True
                    break
            except socket.timeout:
                continue
            except OSError:  # reset while sending: closed too
                closed = True
                break
        assert closed


def test_a_stalled_upload_body_gets_408(server):
    running, store = server
    signed = sign_upload(PEER, 31337, NODE_ADDRESS, "ab" * 32, "blob")
    headers = "".join(f"{name}: {value}\r\n" for name, value in signed.items()).encode()
    with connect(running) as sock:
        sock.sendall(b"PUT /artifacts/" + b"ab" * 32 + b"?kind=blob HTTP/1.1\r\nHost: x\r\n" + headers
                     + b"Content-Length: 1000\r\n\r\n" + b"x" * 10)
        reply = read_until_closed(sock)
    assert reply.startswith(b"HTTP/1.1 408 ")
    assert b"request body stalled" in reply
    assert not store.has("ab" * 32)


def test_gets_are_served_while_dozens_of_slow_connections_are_open(server):
    running, _ = server
    slow = [connect(running) for _ in range(48)]
    try:
        for sock in slow:
            sock.sendall(b"GET /status HTTP/1.1\r\nHo")
        with httpx.Client(timeout=WAIT_S) as client:
            for _ in range(5):
                assert client.get(f"{running.url}/status").status_code == 200
        for sock in slow:
            assert read_until_closed(sock) == b""
    finally:
        for sock in slow:
            sock.close()


def test_a_complete_request_is_not_cut_off_by_the_header_deadline(server):
    running, _ = server
    with connect(running) as sock:
        sock.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = read_until_closed(sock)
    assert reply.startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("bad", [0, -1.0])
def test_deadlines_must_be_positive(bad):
    from node.api.slow_clients import deadline_protocol

    with pytest.raises(ValueError, match="header_timeout_s must be a positive number of seconds"):
        deadline_protocol(header_timeout_s=bad)
