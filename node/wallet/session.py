"""Find the ledger a wallet command talks to: the deployment file, optionally with another RPC URL."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from node.chain.client import connect
from node.chain.v2.views import LedgerV2, Role
from node.chain.errors import ChainError
from node.config import Deployment, deployment_path

ROLES = {r.name.lower(): int(r) for r in (Role.WORKER, Role.VERIFIER)}
ROLE_NAMES = {v: k for k, v in ROLES.items()}


def role_id(name: str) -> int:
    """'worker' -> 1, 'verifier' -> 2."""
    try:
        return ROLES[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown role {name!r}: use worker or verifier") from None


@dataclass(frozen=True)
class LedgerSession:
    ledger: LedgerV2
    deployment: Deployment


def open_ledger(home: Path, rpc_url: str | None = None, deployment_file: Path | None = None) -> LedgerSession:
    """Connect to the deployment's ledger; `rpc_url` overrides the URL stored in the deployment file."""
    deployment = Deployment.load(deployment_file or deployment_path(home))
    w3 = connect(rpc_url or deployment.rpc_url)
    chain_id = w3.eth.chain_id
    if chain_id != deployment.chain_id:
        raise ChainError(
            f"the node at {rpc_url or deployment.rpc_url} is chain {chain_id}, but the deployment file says "
            f"chain {deployment.chain_id}: wrong --rpc or --deployment"
        )
    if not w3.eth.get_code(deployment.address):
        raise ChainError(
            f"no contract at {deployment.address} on chain {chain_id}: the devnet was restarted without its "
            "state, or the deployment file is stale"
        )
    return LedgerSession(ledger=LedgerV2(w3, deployment.address), deployment=deployment)
