"""node/fetch.py against a real HTTP server (uvicorn on 127.0.0.1, free port) that misbehaves on purpose."""
from __future__ import annotations

import asyncio
import socket
import threading
import time

import blake3
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response, StreamingResponse

from node.fetch import ArtifactMismatch, ArtifactUnavailable, FetchConfig, HttpFetcher, InvalidArtifactURI


def _id(data: bytes) -> bytes:
    return blake3.blake3(data).digest()


def _raw_check(artifact_id: bytes, data: bytes) -> bool:
    return _id(data) == artifact_id


FAST = FetchConfig(max_bytes=4096, connect_timeout_s=0.5, read_timeout_s=0.3, deadline_s=1.0,
                   attempts=3, backoff_s=0.01)


class Behaviours:
    """What the server answers per hex id; `hits` counts requests per id."""

    def __init__(self):
        self.routes: dict[str, object] = {}
        self.hits: dict[str, int] = {}


def _serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.01)
    return server, thread, port


@pytest.fixture(scope="module")
def server():
    b = Behaviours()
    app = FastAPI()

    @app.get("/artifacts/{hex_id}")
    async def artifact(hex_id: str):
        b.hits[hex_id] = b.hits.get(hex_id, 0) + 1
        route = b.routes.get(hex_id)
        if route is None:
            return Response(status_code=404)
        return await route(b.hits[hex_id]) if asyncio.iscoroutinefunction(route) else route(b.hits[hex_id])

    srv, thread, port = _serve(app)
    yield b, f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


def _octet(data: bytes, **headers):
    return lambda hit: Response(content=data, media_type="application/octet-stream", headers=headers)


def test_fetch_returns_checked_bytes(server):
    b, base = server
    data = b"checkpoint bytes" * 10
    b.routes[_id(data).hex()] = _octet(data)
    with HttpFetcher(base + "/", FAST, check=_raw_check) as fetch:
        assert fetch(_id(data)) == data
        assert fetch.url_for(_id(data)) == f"{base}/artifacts/{_id(data).hex()}"


def test_missing_artifact_is_unavailable_without_retry(server):
    b, base = server
    aid = _id(b"never served")
    with HttpFetcher(base, FAST, check=_raw_check) as fetch, pytest.raises(ArtifactUnavailable, match="HTTP 404"):
        fetch(aid)
    assert b.hits[aid.hex()] == 1


def test_wrong_content_type_is_unavailable(server):
    b, base = server
    data = b"<html>not an artifact</html>"
    b.routes[_id(data).hex()] = lambda hit: Response(content=data, media_type="text/html")
    with HttpFetcher(base, FAST, check=_raw_check) as fetch, pytest.raises(ArtifactUnavailable, match="content type 'text/html'"):
        fetch(_id(data))


def test_hash_mismatch_carries_the_bytes(server):
    b, base = server
    aid = _id(b"what was committed")
    b.routes[aid.hex()] = _octet(b"something else")
    with HttpFetcher(base, FAST, check=_raw_check) as fetch, pytest.raises(ArtifactMismatch) as err:
        fetch(aid)
    assert err.value.data == b"something else" and "do not hash to the id" in str(err.value)
    assert isinstance(err.value, ArtifactUnavailable)


def test_oversize_declared_length_is_refused(server):
    b, base = server
    data = bytes(5000)
    b.routes[_id(data).hex()] = _octet(data)
    with HttpFetcher(base, FAST, check=_raw_check) as fetch, pytest.raises(ArtifactUnavailable, match="exceeds the limit"):
        fetch(_id(data))


def test_oversize_stream_without_length_is_aborted(server):
    b, base = server
    aid = _id(b"endless")
    sent = {"chunks": 0}

    def endless(hit):
        def body():
            for _ in range(10_000):  # 10 MB if nobody stops reading
                sent["chunks"] += 1
                yield bytes(1024)
        return StreamingResponse(body(), media_type="application/octet-stream")

    b.routes[aid.hex()] = endless
    with HttpFetcher(base, FAST, check=_raw_check) as fetch, pytest.raises(ArtifactUnavailable, match="aborted"):
        fetch(aid)
    assert b.hits[aid.hex()] == 1  # oversize is not retried


def test_transient_errors_are_retried_with_backoff(server):
    b, base = server
    data = b"eventually there"
    b.routes[_id(data).hex()] = lambda hit: Response(status_code=503) if hit < 3 else _octet(data)(hit)
    with HttpFetcher(base, FAST, check=_raw_check) as fetch:
        assert fetch(_id(data)) == data
    assert b.hits[_id(data).hex()] == 3


def test_slow_server_times_out_then_gives_up(server):
    b, base = server
    data = b"too slow"

    async def slow(hit):
        await asyncio.sleep(1.0)  # longer than the 0.3 s read time-out
        return Response(content=data, media_type="application/octet-stream")

    b.routes[_id(data).hex()] = slow
    cfg = FetchConfig(read_timeout_s=0.2, attempts=2, backoff_s=0.01)
    with HttpFetcher(base, cfg, check=_raw_check) as fetch, pytest.raises(ArtifactUnavailable, match="time-out"):
        fetch(_id(data))
    assert b.hits[_id(data).hex()] == 2


def test_dripping_server_hits_the_deadline(server):
    b, base = server
    data = bytes(200)

    async def drip(hit):
        async def body():
            for i in range(0, len(data), 10):
                await asyncio.sleep(0.1)  # each read is within the read time-out, the whole is not
                yield data[i:i + 10]
        return StreamingResponse(body(), media_type="application/octet-stream")

    b.routes[_id(data).hex()] = drip
    cfg = FetchConfig(read_timeout_s=0.5, deadline_s=0.5, attempts=1)
    with HttpFetcher(base, cfg, check=_raw_check) as fetch, pytest.raises(ArtifactUnavailable, match="deadline"):
        fetch(_id(data))


def test_unreachable_worker_closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with HttpFetcher(f"http://127.0.0.1:{port}", FAST, check=_raw_check) as fetch:
        with pytest.raises(ArtifactUnavailable, match="gave up after 3 attempts: ConnectError"):
            fetch(_id(b"x"))


@pytest.mark.parametrize("uri", ["ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1:8000", "http://",
                                 "http://h/?q=1", "javascript:alert(1)"])
def test_only_http_base_urls(uri):
    with pytest.raises(InvalidArtifactURI):
        HttpFetcher(uri)


def test_bad_artifact_id_is_unavailable(server):
    _, base = server
    with HttpFetcher(base, FAST, check=_raw_check) as fetch, pytest.raises(ArtifactUnavailable, match="32 bytes"):
        fetch(b"short")


def test_per_call_limit_refuses_on_content_length(server):
    """The caller's bound for this artifact kind (prover/bounds.py) applies below the config's limit."""
    b, base = server
    data = bytes(3000)  # under FAST's 4096, over this call's 1000
    b.routes[_id(data).hex()] = _octet(data)
    with HttpFetcher(base, FAST, check=_raw_check) as fetch:
        with pytest.raises(ArtifactUnavailable, match="Content-Length 3000 exceeds the limit of 1000 bytes"):
            fetch(_id(data), max_bytes=1000)
        assert fetch(_id(data), max_bytes=3000) == data  # at the bound exactly: accepted


def test_per_call_limit_cuts_a_stream_without_length(server):
    b, base = server
    aid = _id(b"endless per call")

    def endless(hit):
        def body():
            for _ in range(10_000):
                yield bytes(256)
        return StreamingResponse(body(), media_type="application/octet-stream")

    b.routes[aid.hex()] = endless
    with HttpFetcher(base, FAST, check=_raw_check) as fetch, \
            pytest.raises(ArtifactUnavailable, match="body exceeds the limit of 600 bytes; aborted"):
        fetch(aid, max_bytes=600)
    assert b.hits[aid.hex()] == 1  # refused once, not retried


def test_per_call_limit_never_raises_the_config_limit(server):
    b, base = server
    data = bytes(5000)  # over FAST's 4096
    b.routes[_id(data).hex()] = _octet(data)
    with HttpFetcher(base, FAST, check=_raw_check) as fetch, \
            pytest.raises(ArtifactUnavailable, match="exceeds the limit of 4096 bytes"):
        fetch(_id(data), max_bytes=10_000)
