"""What the HTTP handlers may read: the node's artifact store, its state and a few facts about it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Callable

from fastapi import Depends, Request

from ..artifact_store import ArtifactStore
from ..state import NodeState
from .upload_policy import UploadPolicy


@dataclass
class NodeContext:
    role: str
    address: str
    chain_id: int
    ledger_address: str
    store: ArtifactStore
    state: NodeState
    # None: PUT is refused. Uploads are accepted only from named, signing peers within a quota (PROTOCOL.md §7).
    uploads: UploadPolicy | None = None
    # An aggregator on a v2 ledger queues members' signed approvals for its approveBatch (node/api/relay.py).
    relays_approvals: bool = False
    extra_status: Callable[[], dict] = field(default=lambda: {})
    # Called for an id not on disk: a worker regenerates unstored intermediate checkpoints by replay.
    # Returns True if it stored the artifact.
    on_missing: Callable[[str], bool] = field(default=lambda artifact_id: False)
    # A gateway's contributor page source (node/roles/gateway.py), set once it has read its job.
    contribute: object | None = None

    @property
    def accept_uploads(self) -> bool:
        return self.uploads is not None


def node_context(request: Request) -> NodeContext:
    return request.app.state.node


Context = Annotated[NodeContext, Depends(node_context)]
