"""Run the API with uvicorn in a background thread, beside the role's loop in the main thread."""
from __future__ import annotations

import asyncio
import random
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from .slow_clients import DEFAULT_BODY_TIMEOUT_S, DEFAULT_HEADER_TIMEOUT_S, deadline_protocol

# Beyond this many open connections (or running requests) uvicorn answers 503 at once: a bound on the memory
# and file descriptors a crowd of clients can take, far above what a node's peers need.
DEFAULT_LIMIT_CONCURRENCY = 512


def server_config(app: FastAPI, host: str, port: int, header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S,
                  body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
                  limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY) -> uvicorn.Config:
    """The uvicorn settings every gradchain HTTP server uses (the node's API, the explorer)."""
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                          http=deadline_protocol(header_timeout_s, body_timeout_s),
                          limit_concurrency=limit_concurrency)


class QuietServer(uvicorn.Server):
    """uvicorn's server, whose housekeeping loop wakes once a second instead of ten times.

    uvicorn's main loop sleeps 0.1 s between checks of `should_exit` (and refreshes its Date header every tenth
    one): about 3 ms of CPU a second for an idle server, 0.3% of a core for every node of a network that is
    waiting for its next block (measured with bench/network_share.py's nodes). Here the loop waits up to a
    second on an event that `request_exit` sets, so a stop is as prompt as before."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # on_tick refreshes the Date header when counter % 10 == 0
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            except asyncio.TimeoutError:
                pass

    def handle_exit(self, sig, frame) -> None:  # SIGINT/SIGTERM when run in the main thread (the explorer)
        super().handle_exit(sig, frame)
        self.request_exit()

    def request_exit(self) -> None:
        """From any thread: stop serving (the loop wakes at once)."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop closed between the check and the call: it has stopped already
                pass


class BackgroundServer:
    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0, **settings):
        """settings: header_timeout_s, body_timeout_s, limit_concurrency (see server_config)."""
        if port == 0:
            port = free_port(host)
        self.host, self.port = host, port
        self.server = QuietServer(server_config(app, host, port, **settings))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="artifact-server")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 15.0) -> "BackgroundServer":
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                why = "its thread exited: is the port taken?" if not self.thread.is_alive() else f"{timeout_s}s passed"
                raise RuntimeError(f"HTTP server on {self.url} did not start ({why})")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.request_exit()
        self.thread.join(timeout=5)


# Ports handed out below the kernel's ephemeral range (Linux: 32768-60999). A port the OS picks with bind(0)
# comes from that range, and so does the local port of every outgoing connection: between free_port() returning
# and the server binding it, any HTTP or RPC client on the machine can take it, and the server dies with
# "address in use" (seen in CI). Below the range only another listener can collide, and that bind fails here.
LISTEN_PORTS = range(20000, 32768)
_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, outside the ephemeral range, never handed out before by this process."""
    for _ in range(200):
        port = random.choice(LISTEN_PORTS)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {LISTEN_PORTS.start}-{LISTEN_PORTS.stop - 1} on {host}")
