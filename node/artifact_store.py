"""Content-addressed artifact files: written atomically, checked against their id on write and on read.

A read re-derives the id once per file and process; after that it checks the bytes against the BLAKE3 digest they
had when their id was last derived (about 0.3 ms for a 680 kB transcript, where parsing it and rebuilding its
Merkle root take 80 ms, and a worker serves each transcript to every member of the committee). Any changed byte
changes that digest, so an altered file is still never served.

Three kinds share one directory: `checkpoint` (safetensors; id = the canonical checkpoint id over its
tensors), `transcript` (canonical JSON; id = its Merkle root) and `blob` (any bytes; id = BLAKE3 of them). The kind is the file suffix, so the
directory alone is enough to serve and re-check everything.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Callable

import blake3

ID_PATTERN = re.compile(r"^(0x)?[0-9a-f]{64}$")
SUFFIX = {"checkpoint": ".safetensors", "transcript": ".transcript.json", "blob": ".bin"}
DEFAULT_MAX_ARTIFACT_BYTES = 256 * 1024 * 1024
MAX_DIGESTS_KEPT = 100_000  # 32-byte digests: a few MB at most
QUARANTINE_DIR = ".quarantine"  # a dot name: not an artifact to the server, the status count or pruning

log = logging.getLogger("gradchain.artifacts")


class ArtifactError(ValueError):
    """An artifact id or its content is not acceptable; the message says which and why."""


class ArtifactCorrupt(ArtifactError):
    """A stored file whose bytes no longer hash to its id; it has been moved aside to `quarantined`."""

    def __init__(self, message: str, quarantined: Path | None):
        super().__init__(message)
        self.quarantined = quarantined


def blob_id(data: bytes) -> bytes:
    return blake3.blake3(data).digest()


def checkpoint_bytes_id(data: bytes) -> bytes:
    # Imported lazily: the canonical checkpoint id lives in prover/ (one source of truth), and torch is slow to load.
    from prover.checkpoint import checkpoint_from_bytes, checkpoint_id

    return checkpoint_id(checkpoint_from_bytes(data))


def transcript_bytes_id(data: bytes) -> bytes:
    # A transcript is addressed by its Merkle root: the very value a claim puts on chain.
    from prover.transcript import Transcript

    return Transcript.from_bytes(data).root


ID_FUNCTIONS: dict[str, Callable[[bytes], bytes]] = {
    "checkpoint": checkpoint_bytes_id, "transcript": transcript_bytes_id, "blob": blob_id}


def parse_id(artifact_id: str | bytes) -> str:
    """Normalize an id to 64 lowercase hex characters, or raise ArtifactError naming the input."""
    if isinstance(artifact_id, bytes):
        if len(artifact_id) != 32:
            raise ArtifactError(f"artifact id must be 32 bytes, got {len(artifact_id)}")
        return artifact_id.hex()
    text = artifact_id.strip().lower()
    if not ID_PATTERN.match(text):
        raise ArtifactError(f"artifact id {artifact_id[:80]!r} is not 64 hex characters")
    return text[2:] if text.startswith("0x") else text


def content_id(kind: str, data: bytes) -> bytes:
    if kind not in ID_FUNCTIONS:
        raise ArtifactError(f"artifact kind must be one of {sorted(ID_FUNCTIONS)}, got {kind!r}")
    try:
        return ID_FUNCTIONS[kind](data)
    except ArtifactError:
        raise
    except Exception as exc:  # a malformed safetensors file raises from deep inside the parser
        raise ArtifactError(f"content is not a valid {kind}: {exc.__class__.__name__}: {exc}") from exc


class ArtifactStore:
    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES):
        self.root = root
        self.max_bytes = max_bytes
        root.mkdir(parents=True, exist_ok=True)
        self._digests: dict[str, bytes] = {}  # hex id -> BLAKE3 of the bytes whose id was derived and matched

    def path(self, artifact_id: str | bytes) -> tuple[Path, str] | None:
        """(path, kind) of a stored artifact, or None. Ids are validated first, so no path can escape root."""
        hex_id = parse_id(artifact_id)
        for kind, suffix in SUFFIX.items():
            candidate = self.root / f"{hex_id}{suffix}"
            if candidate.is_file():
                return candidate, kind
        return None

    def has(self, artifact_id: str | bytes) -> bool:
        return self.path(artifact_id) is not None

    def put(self, kind: str, data: bytes, expected_id: str | bytes | None = None) -> str:
        """Store `data`; its id is computed, and must equal `expected_id` when one is given. Returns hex id."""
        if len(data) > self.max_bytes:
            raise ArtifactError(f"artifact of {len(data)} bytes exceeds the limit of {self.max_bytes} bytes")
        actual = content_id(kind, data).hex()
        if expected_id is not None and parse_id(expected_id) != actual:
            raise ArtifactError(f"content does not match its id: expected {parse_id(expected_id)}, got {actual}")
        return self._write(kind, data, actual)

    def put_own(self, kind: str, data: bytes, artifact_id: str | bytes) -> str:
        """Store bytes this process encoded from the object whose id it computed (a worker's transcript: the
        prover built its Merkle root). The id is not derived again: for a transcript that is a parse of every
        segment and the root once more, 0.1 s of a 90,000-step claim's. Bytes from anywhere else go through
        `put`; a GET still checks these against their digest, as any other."""
        if kind not in SUFFIX:
            raise ArtifactError(f"artifact kind must be one of {sorted(SUFFIX)}, got {kind!r}")
        if len(data) > self.max_bytes:
            raise ArtifactError(f"artifact of {len(data)} bytes exceeds the limit of {self.max_bytes} bytes")
        return self._write(kind, data, parse_id(artifact_id))

    def _write(self, kind: str, data: bytes, actual: str) -> str:
        target = self.root / f"{actual}{SUFFIX[kind]}"
        if not target.exists():
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)  # atomic: readers see the whole file or none
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        self._remember(actual, data)
        return actual

    def _remember(self, hex_id: str, data: bytes) -> None:
        if len(self._digests) >= MAX_DIGESTS_KEPT:
            self._digests.clear()  # a bound on memory; the next reads derive their ids again
        self._digests[hex_id] = blob_id(data)

    def get(self, artifact_id: str | bytes) -> tuple[bytes, str]:
        """(bytes, kind), re-checked against the id. A file altered on disk is never served: it is moved to
        the quarantine folder (kept for inspection, out of the way of a fresh copy) and ArtifactCorrupt raised."""
        found = self.path(artifact_id)
        if found is None:
            raise FileNotFoundError(f"artifact {parse_id(artifact_id)} is not stored here")
        path, kind = found
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # deleted (pruned, quarantined by another reader) between the look-up and here
            raise FileNotFoundError(f"artifact {parse_id(artifact_id)} is not stored here") from None
        hex_id = parse_id(artifact_id)
        if self._digests.get(hex_id) == blob_id(data):
            return data, kind  # the very bytes whose id was derived before
        try:
            actual = content_id(kind, data).hex()
        except ArtifactError as exc:  # not even parseable as its kind: as corrupt as a wrong hash
            actual = f"nothing ({exc})"
        if actual != hex_id:
            self._digests.pop(hex_id, None)
            moved = self.quarantine(path)
            where = f"moved to {moved}" if moved else "already moved aside"
            raise ArtifactCorrupt(f"stored artifact {path.name} is corrupt: its content hashes to {actual}; {where}",
                                  moved)
        self._remember(hex_id, data)
        return data, kind

    def quarantine(self, path: Path) -> Path | None:
        """Move a bad stored file aside; None if it was already gone (another reader moved it first)."""
        folder = self.root / QUARANTINE_DIR
        folder.mkdir(exist_ok=True)
        target = folder / f"{path.name}.{time.time_ns()}"
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return None
        log.warning("artifact %s does not hash to its id: moved to %s", path.name, target)
        return target

    def delete(self, artifact_id: str | bytes) -> None:
        found = self.path(artifact_id)
        if found:
            found[0].unlink()
