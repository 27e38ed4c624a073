"""A node's upload settings in one object: who may upload (signed, named peers) and how much each may store."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from ..state import NodeState
from .upload_auth import DEFAULT_WINDOW_S, UploadAuth, parse_peers
from .upload_quota import UploadQuota

# What a node whose uploads are off tells an uploader (and its operator) to do about it.
HOW_TO_ENABLE = ("start the node with --accept-uploads-from ADDRESS[,ADDRESS...] --upload-quota SIZE "
                 "(e.g. 200MB) to accept signed uploads from those peers")


@dataclass
class UploadPolicy:
    auth: UploadAuth
    quota: UploadQuota

    @classmethod
    def open(cls, state: NodeState, chain_id: int, node_address: str, peers: Iterable[str], quota_bytes: int,
             window_s: int = DEFAULT_WINDOW_S) -> "UploadPolicy":
        return cls(UploadAuth(state, chain_id, node_address, parse_peers(peers), window_s),
                   UploadQuota(state, quota_bytes))

    @classmethod
    def open_admitting(cls, state: NodeState, chain_id: int, node_address: str, quota_bytes: int,
                       admit: Callable[[str], str | None], window_s: int = DEFAULT_WINDOW_S) -> "UploadPolicy":
        """Uploads from whoever `admit` lets in (a gateway: staked workers), each within `quota_bytes`."""
        return cls(UploadAuth(state, chain_id, node_address, frozenset(), window_s, admit=admit),
                   UploadQuota(state, quota_bytes))
