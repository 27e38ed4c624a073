"""HTTP fetcher for content-addressed artifacts: `GET {artifactURI}/artifacts/{hex id}`.

The shell half of artifact retrieval (the verifier core only sees `fetch(artifact_id) -> bytes`). Defences:
http(s) only; separate connect/read time-outs and an overall deadline per attempt (a server that drips one
byte per read time-out cannot hold a verifier forever); retries with exponential backoff for transient
failures (connection errors, time-outs, 5xx, 429) and none for answers that will not change (404, wrong
content type, oversize, hash mismatch); a size limit, the config's or a smaller one per call (the caller knows
the artifact's kind, and the spec bounds each kind: prover/bounds.py), checked on Content-Length before the
body is read and again while streaming (the body is never buffered past it, whatever Content-Length says); the content type checked; and every byte checked against the
artifact id before it is returned (`verifier.artifacts.content_matches` by default).

Every failure raises `ArtifactUnavailable` (or its subclass `ArtifactMismatch`, which carries the bytes), and
the verifier turns it into an abstention: no vote rather than a wrong vote.
"""
from __future__ import annotations

import functools
import ssl
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import httpx

from verifier.errors import ArtifactMismatch, ArtifactUnavailable

__all__ = ["ArtifactUnavailable", "ArtifactMismatch", "InvalidArtifactURI", "FetchConfig", "HttpFetcher"]

DEFAULT_CONTENT_TYPES = ("application/octet-stream", "application/json")  # checkpoints; the transcript is JSON
_RETRY_STATUS = {429, 500, 502, 503, 504}


class InvalidArtifactURI(ValueError):
    """The artifactURI of a claim is not an http(s) base URL; nothing was fetched."""


@dataclass(frozen=True)
class FetchConfig:
    """Limits for one fetcher; the defaults suit checkpoints of the models in prover/models."""

    max_bytes: int = 64 * 1024 * 1024  # larger bodies are aborted mid-stream
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0  # between two reads
    deadline_s: float = 60.0  # one attempt, headers to last byte
    attempts: int = 3  # tries per artifact for transient failures
    backoff_s: float = 0.25  # sleep before retry n is backoff_s * 2**(n-1)
    content_types: tuple[str, ...] = DEFAULT_CONTENT_TYPES


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidArtifactURI(f"artifactURI must be an http(s) base URL like http://127.0.0.1:8000, got {base_url!r}")
    if parts.query or parts.fragment:
        raise InvalidArtifactURI(f"artifactURI must not carry a query or fragment, got {base_url!r}")
    return base_url.rstrip("/")


def _default_checker(artifact_id: bytes, data: bytes) -> bool:
    from verifier.artifacts import content_matches  # late: it imports torch via prover

    return content_matches(artifact_id, data)


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one loads the CA bundle (~50 ms), per fetcher too slow."""
    return ssl.create_default_context()


def http_client(timeout_s: float) -> httpx.Client:
    """A client for a node's own requests to its peers, on the process's one TLS context (httpx.post() builds a
    client, and so a context, per call: ~50 ms of CPU for each relayed approval)."""
    return httpx.Client(timeout=timeout_s, trust_env=False, verify=_tls_context())


class _Transient(Exception):
    """A failure worth another attempt."""


class HttpFetcher:
    """`fetcher(artifact_id) -> bytes` for one worker's artifactURI. Reuses one HTTP connection pool."""

    def __init__(
        self,
        base_url: str,
        config: FetchConfig = FetchConfig(),
        check: Callable[[bytes, bytes], bool] = _default_checker,
    ):
        self.base_url = _check_base_url(base_url)
        self.config = config
        self._check = check
        timeout = httpx.Timeout(connect=config.connect_timeout_s, read=config.read_timeout_s,
                                write=config.read_timeout_s, pool=config.connect_timeout_s)
        # No redirects: a worker's server answers for its own artifacts.
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls_context(),
                                    headers={"Accept-Encoding": "identity"})

    def url_for(self, artifact_id: bytes) -> str:
        return f"{self.base_url}/artifacts/{artifact_id.hex()}"

    def __call__(self, artifact_id: bytes, max_bytes: int | None = None) -> bytes:
        return self.fetch(artifact_id, max_bytes)

    def fetch(self, artifact_id: bytes, max_bytes: int | None = None) -> bytes:
        """The artifact's bytes, checked against its id; raises ArtifactUnavailable after the last attempt.

        `max_bytes` lowers the config's size limit for this call (never raises it).
        """
        if not isinstance(artifact_id, (bytes, bytearray)) or len(artifact_id) != 32:
            raise ArtifactUnavailable(bytes(artifact_id or b""), "artifact id must be 32 bytes")
        if max_bytes is not None and (not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 0):
            raise ValueError(f"max_bytes must be a non-negative integer or None, got {max_bytes!r}")
        artifact_id = bytes(artifact_id)
        limit = self.config.max_bytes if max_bytes is None else min(max_bytes, self.config.max_bytes)
        last = "no attempt made"
        for attempt in range(1, self.config.attempts + 1):
            try:
                data = self._get_once(artifact_id, limit)
            except _Transient as e:
                last = str(e)
                if attempt < self.config.attempts:
                    time.sleep(self.config.backoff_s * 2 ** (attempt - 1))
                continue
            if not self._check(artifact_id, data):
                raise ArtifactMismatch(artifact_id, f"the {len(data)} bytes served do not hash to the id "
                                                    f"({self.url_for(artifact_id)})", data)
            return data
        raise ArtifactUnavailable(artifact_id, f"gave up after {self.config.attempts} attempts: {last}")

    def _get_once(self, artifact_id: bytes, limit: int) -> bytes:
        url = self.url_for(artifact_id)
        cfg = self.config
        started = time.monotonic()
        try:
            with self._client.stream("GET", url) as resp:
                if resp.status_code in _RETRY_STATUS:
                    raise _Transient(f"HTTP {resp.status_code} from {url}")
                if resp.status_code != 200:
                    raise ArtifactUnavailable(artifact_id, f"HTTP {resp.status_code} from {url}")
                ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype not in cfg.content_types:
                    raise ArtifactUnavailable(artifact_id, f"content type {ctype or '(none)'!r} from {url}, "
                                                           f"expected one of {list(cfg.content_types)}")
                declared = resp.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    raise ArtifactUnavailable(artifact_id, f"Content-Length {declared} exceeds the limit of "
                                                           f"{limit} bytes ({url})")
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise ArtifactUnavailable(artifact_id, f"body exceeds the limit of {limit} bytes; "
                                                               f"aborted ({url})")
                    if time.monotonic() - started > cfg.deadline_s:
                        raise _Transient(f"deadline of {cfg.deadline_s} s passed while reading {url}")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TimeoutException as e:
            raise _Transient(f"time-out ({type(e).__name__}) on {url}") from None
        except httpx.TransportError as e:  # refused, reset, DNS, protocol errors
            raise _Transient(f"{type(e).__name__} on {url}: {e}") from None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "HttpFetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
