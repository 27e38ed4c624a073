"""GET and PUT /artifacts/{id}: content-addressed files, validated ids, size limits, hashes checked."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.requests import ClientDisconnect

from ..artifact_store import ArtifactCorrupt, ArtifactError, parse_id
from ..regeneration import RegenerationBusy, RegenerationFailed
from .context import Context
from .upload_auth import UploadRefused
from .upload_policy import HOW_TO_ENABLE

router = APIRouter(prefix="/artifacts", tags=["artifacts"])

MEDIA_TYPE = "application/octet-stream"


@router.get("/{artifact_id}", response_class=Response,
            responses={200: {"content": {MEDIA_TYPE: {}}}, 400: {}, 404: {}, 503: {}})
def get_artifact(artifact_id: str, node: Context) -> Response:
    """The artifact's bytes, re-checked against its id before they leave (kind in `X-Artifact-Kind`).

    A stored file that no longer matches its id is quarantined and then treated as missing. A missing id is
    regenerated only if the node's own transcripts name it (a constant-time look-up otherwise): 503 with
    Retry-After while another regeneration runs, 404 if the replay does not give that id.
    """
    try:
        hex_id = parse_id(artifact_id)
    except ArtifactError as exc:
        raise HTTPException(400, str(exc))
    try:
        return _served(node.store.get(hex_id))
    except FileNotFoundError:
        pass
    except ArtifactCorrupt:
        pass  # logged and moved aside by the store: a replay may still give the right bytes
    try:
        if not node.on_missing(hex_id):
            raise HTTPException(404, f"artifact {hex_id} is not stored here")
    except RegenerationBusy as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": str(exc.retry_after_s)})
    except RegenerationFailed as exc:
        raise HTTPException(404, f"artifact {hex_id} is not stored here ({exc})")
    try:
        return _served(node.store.get(hex_id))
    except (FileNotFoundError, ArtifactCorrupt):  # pruned or altered between the replay and this read
        raise HTTPException(404, f"artifact {hex_id} is not stored here")


def _served(found: tuple[bytes, str]) -> Response:
    data, kind = found
    return Response(content=data, media_type=MEDIA_TYPE, headers={"X-Artifact-Kind": kind})


@router.put("/{artifact_id}", status_code=201,
            responses={400: {}, 403: {}, 408: {}, 413: {}, 422: {}, 429: {}})
async def put_artifact(artifact_id: str, request: Request, node: Context, kind: str = "checkpoint") -> dict:
    """Store an artifact signed for by a named peer (node/api/upload_auth.py); its content must hash to its id.

    403 when uploads are off or the signature is missing, not a peer's, stale or replayed; 413 for a body over
    the store's size limit; 429 when it would take the peer past its quota. Both are answered as soon as the
    declared length, or the bytes read so far, go past the limit: the rest of the body is never read.
    """
    if node.uploads is None:
        raise HTTPException(403, f"uploads are off on this node: {HOW_TO_ENABLE}")
    try:
        expected = parse_id(artifact_id)
    except ArtifactError as exc:
        raise HTTPException(400, str(exc))
    try:
        peer = node.uploads.auth.check(request.headers, expected, kind)
    except UploadRefused as exc:
        raise HTTPException(exc.status, str(exc))
    declared = int(request.headers.get("content-length") or 0)
    if declared > node.store.max_bytes:
        raise HTTPException(413, f"upload of {declared} bytes exceeds the limit of {node.store.max_bytes} bytes")
    quota = node.uploads.quota
    # Bytes already stored here cost the peer nothing (content-addressed: they are kept once); the body is
    # still read and checked against the id.
    new = not node.store.has(expected)
    reserved = 0
    try:
        if new:
            quota.reserve(peer, declared, expected)  # a declared length over the quota is refused unread
            reserved = declared
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > node.store.max_bytes:
                raise HTTPException(413, f"upload exceeds the limit of {node.store.max_bytes} bytes")
            if new and len(body) > reserved:  # chunked, or longer than declared: hold each byte before keeping it
                quota.reserve(peer, len(body) - reserved, expected)
                reserved = len(body)
        stored = node.store.put(kind, bytes(body), expected_id=expected)
        if new:
            quota.charge(peer, len(body))
            reserved -= len(body)
    except UploadRefused as exc:
        raise HTTPException(exc.status, str(exc))
    except ClientDisconnect:  # gone, or cut off by the body deadline (node/api/slow_clients.py answered 408)
        raise HTTPException(408, f"upload of {artifact_id} ended before its body was complete")
    except ArtifactError as exc:
        raise HTTPException(422, str(exc))
    finally:
        quota.release(peer, reserved)
    return {"id": stored, "kind": kind, "size": len(body), "uploader": peer}
