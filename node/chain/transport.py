"""JSON-RPC over HTTP for a node that reads the chain every block: kept-alive connections, nothing else.

Measured against anvil on this machine (bench/chain_read_cost.py): web3's HTTPProvider spends about 1.0 ms of CPU
on an eth_blockNumber, most of it in requests and urllib3 (sessions, adapters, retries, header merging); a POST
on a kept-alive http.client connection and a json.loads spend about 0.19 ms. A node polls several times a block,
so that difference was most of a waiting node's CPU (issue 15). `RpcTransport` is the wire; `LeanHTTPProvider`
is web3's HTTPProvider on that wire, so every web3 call (formatters, caching, errors) behaves as before; the
event follower also posts batches of raw requests through it (node/chain/raw_reads.py).

One connection per thread: the role loop, the HTTP server's threads and the outbox never share a socket.
A kept-alive connection the server has closed fails on its next use before any byte of an answer arrives;
that request is sent once more on a new connection. A refused or unreachable endpoint is `ChainUnreachable`.
"""
from __future__ import annotations

import http.client
import json
import threading
from typing import Any
from urllib.parse import urlsplit

from web3 import HTTPProvider
from web3.types import RPCEndpoint, RPCResponse

# Raised on a kept-alive socket the server closed while idle: safe to send again (nothing was answered).
_STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                     http.client.CannotSendRequest, http.client.BadStatusLine)


class ChainUnreachable(ConnectionError):
    """Nothing answers JSON-RPC at this URL (refused, no route, unknown host, or the connection dropped)."""

    def __init__(self, url: str, cause: BaseException):
        super().__init__(f"cannot reach the chain at {url}: {cause.__class__.__name__}: {cause}")
        self.url = url


class RpcError(Exception):
    """A JSON-RPC error object in an answer to a raw request."""

    def __init__(self, method: str, error: dict):
        super().__init__(f"{method}: {error.get('message', error)} (code {error.get('code')})")
        self.method, self.error = method, error


class RpcTransport:
    def __init__(self, url: str, timeout_s: float = 10.0):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"RPC URL {url!r}: expected http://host:port or https://host:port")
        self.url = url
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._next_id = 0
        self._id_lock = threading.Lock()

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = self._local.conn = cls(self._host, self._port, timeout=self.timeout_s)
        return conn

    def post(self, body: bytes) -> bytes:
        """POST one JSON-RPC body, return the answer's bytes."""
        for attempt in (0, 1):
            conn = self._connection(fresh=attempt == 1)
            reused = conn.sock is not None
            try:
                conn.request("POST", self._path, body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                data = response.read()
            except _STALE_CONNECTION as exc:
                conn.close()
                if reused and attempt == 0:
                    continue  # the server closed the idle connection: nothing was answered, send again
                raise ChainUnreachable(self.url, exc) from exc
            except OSError as exc:  # refused, no route, unknown host
                conn.close()
                if isinstance(exc, TimeoutError):
                    raise  # the server is there but slow: the caller's timeout handling applies
                raise ChainUnreachable(self.url, exc) from exc
            if response.status != 200 and not data.startswith((b"{", b"[")):
                raise ChainUnreachable(self.url, OSError(f"HTTP {response.status}: {data[:200]!r}"))
            return data
        raise AssertionError("the loop returns or raises on its second attempt")

    def batch(self, calls: list[tuple[str, list]], optional: frozenset[int] = frozenset()) -> list[Any]:
        """Several requests in one POST; each answer's result in order. An error answer raises RpcError, except
        for the calls whose index is in `optional` (e.g. logs of a block not mined yet): their result is None."""
        with self._id_lock:
            first = self._next_id
            self._next_id += len(calls)
        body = json.dumps([{"jsonrpc": "2.0", "id": first + i, "method": m, "params": p}
                           for i, (m, p) in enumerate(calls)]).encode()
        answers = json.loads(self.post(body))
        if not isinstance(answers, list):  # a server refusing the whole batch answers one error object
            raise RpcError(calls[0][0], answers.get("error", answers) if isinstance(answers, dict) else {})
        by_id = {a.get("id"): a for a in answers}
        results = []
        for i, (method, _) in enumerate(calls):
            answer = by_id.get(first + i)
            if (answer is None or "error" in answer) and i in optional:
                results.append(None)
                continue
            if answer is None or "error" in answer:
                raise RpcError(method, (answer or {}).get("error", {"message": "no answer in the batch"}))
            results.append(answer.get("result"))
        return results


class LeanHTTPProvider(HTTPProvider):
    """web3's HTTPProvider, its requests session replaced by an RpcTransport (same encoding, caching, errors)."""

    def __init__(self, endpoint_uri: str, timeout_s: float = 10.0, **kwargs: Any):
        super().__init__(endpoint_uri, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None,
                         **kwargs)
        self.transport = RpcTransport(endpoint_uri, timeout_s)

    def _make_request(self, method: RPCEndpoint, request_data: bytes) -> bytes:
        return self.transport.post(request_data)

    def make_batch_request(self, batch_requests: list[tuple[RPCEndpoint, Any]]) -> list[RPCResponse] | RPCResponse:
        response = self.decode_rpc_response(self.transport.post(self.encode_batch_rpc_request(batch_requests)))
        if not isinstance(response, list):
            return response
        return sorted(response, key=lambda r: r.get("id", 0))
