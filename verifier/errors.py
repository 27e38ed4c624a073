"""Errors shared by the verifier core and the node's artifact fetcher."""
from __future__ import annotations


class ArtifactUnavailable(Exception):
    """An artifact could not be obtained: unreachable server, time-out, 404, oversize, wrong content type.

    The verifier answers it with an abstention (no vote), never with a rejection: the worker may be honest and
    the network at fault.
    """

    def __init__(self, artifact_id: bytes, reason: str):
        super().__init__(f"artifact {artifact_id.hex()}: {reason}")
        self.artifact_id = artifact_id
        self.reason = reason


class ArtifactMismatch(ArtifactUnavailable):
    """Bytes were served under `artifact_id` but they do not hash to it.

    Carries the bytes received (`data`), so that the verifier can tell a garbled download (abstain) from a
    well-formed transcript whose root is not the claim's (reject, PROTOCOL.md §5.1).
    """

    def __init__(self, artifact_id: bytes, reason: str, data: bytes):
        super().__init__(artifact_id, reason)
        self.data = data
