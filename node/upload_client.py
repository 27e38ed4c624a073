"""PUT an artifact to a peer node that accepts uploads from this account (node/api/upload_auth.py)."""
from __future__ import annotations

import httpx

from .api.upload_auth import sign_upload
from .artifact_store import parse_id


def upload_artifact(url: str, artifact_id: str | bytes, kind: str, data: bytes, account, *,
                    node_address: str | None = None, chain_id: int | None = None,
                    timestamp: int | None = None, timeout_s: float = 60.0) -> httpx.Response:
    """Sign and send one upload; the node's answer is returned as it is (201 stored, 4xx with its reason).

    node_address and chain_id are what the signature binds; when not given they are read from the node's
    /status (pass them to sign only for the node you mean, whoever answers at `url`).
    """
    hex_id = parse_id(artifact_id)
    base = url.rstrip("/")
    if node_address is None or chain_id is None:
        status = httpx.get(f"{base}/status", timeout=timeout_s)
        status.raise_for_status()
        info = status.json()
        node_address = node_address or info["address"]
        chain_id = info["chain_id"] if chain_id is None else chain_id
    headers = sign_upload(account, chain_id, node_address, hex_id, kind, timestamp)
    return httpx.put(f"{base}/artifacts/{hex_id}", params={"kind": kind}, content=data, headers=headers,
                     timeout=timeout_s)
