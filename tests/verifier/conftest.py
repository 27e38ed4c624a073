"""A real artifact server for the verifier tests: uvicorn on 127.0.0.1 (free port) in a thread.

Each worker gets its own namespace: GET /w/{ns}/artifacts/{hex id}, so its artifactURI is {base}/w/{ns}.
An entry is bytes (served as application/octet-stream) or (status, content type, bytes) to misbehave.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response

from node.fetch import FetchConfig, HttpFetcher

TEST_FETCH = FetchConfig(max_bytes=1 << 20, connect_timeout_s=0.5, read_timeout_s=2.0, deadline_s=5.0,
                         attempts=2, backoff_s=0.01)


class ArtifactServer:
    def __init__(self):
        self.namespaces: dict[str, dict[str, object]] = {}
        self.url = ""
        app = FastAPI()

        @app.get("/w/{ns}/artifacts/{hex_id}")
        def artifact(ns: str, hex_id: str):
            entry = self.namespaces.get(ns, {}).get(hex_id)
            if entry is None:
                return Response(status_code=404)
            if isinstance(entry, tuple):
                status, ctype, body = entry
                return Response(content=body, status_code=status, media_type=ctype)
            return Response(content=entry, media_type="application/octet-stream")

        self.app = app

    def publish(self, ns: str, artifacts: dict[bytes, object]) -> str:
        """Serve these artifacts (id -> bytes or (status, content type, bytes)); returns the artifactURI."""
        self.namespaces.setdefault(ns, {}).update({k.hex(): v for k, v in artifacts.items()})
        return f"{self.url}/w/{ns}"

    def fetcher(self, ns: str, config: FetchConfig = TEST_FETCH) -> HttpFetcher:
        return HttpFetcher(f"{self.url}/w/{ns}", config)


@pytest.fixture(scope="session")
def artifact_server():
    server = ArtifactServer()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    uv = uvicorn.Server(uvicorn.Config(server.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "artifact server did not start"
        time.sleep(0.01)
    yield server
    uv.should_exit = True
    thread.join(5)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny models gain nothing from intra-op threads, and on a busy 2-core machine they lose a lot.
    (Results do not depend on the thread count: prover/determinism.py.)"""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
