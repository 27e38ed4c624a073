"""Which chain a node's database belongs to, so that a node pointed at another chain says so instead of looping.

A devnet started afresh deploys the ledger at the same address on the same chain id, so neither tells the
chains apart; the hash of the deployment block does (it commits to the whole history below it). The first
start records it; later starts compare. On a mismatch the node refuses, or with --reset-state moves the old
database aside (never deletes it: its outbox and verdicts are the record of what this key signed) and starts
a new one. Artifacts are content-addressed and stay.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .chain.errors import ChainError
from .state import NodeState

IDENTITY_KEY = "chain_identity"


class ChainMismatch(ChainError):
    """The node's database was built on another chain than the one its RPC serves."""


def chain_identity(w3, ledger_address: str, deployment_block: int) -> dict:
    try:
        block_hash = "0x" + bytes(w3.eth.get_block(deployment_block)["hash"]).hex()
    except Exception as exc:  # BlockNotFound: a chain shorter than the deployment block
        if exc.__class__.__name__ != "BlockNotFound":
            raise
        block_hash = None
    return {"chain_id": w3.eth.chain_id, "ledger": ledger_address.lower(), "deployment_block": deployment_block,
            "deployment_block_hash": block_hash}


def open_state_for_chain(db_path: Path, identity: dict, reset: bool, rpc_url: str) -> NodeState:
    """The node's state, checked to belong to `identity`'s chain (or reset aside when asked to)."""
    state = NodeState(db_path)
    stored = state.get_meta(IDENTITY_KEY)
    if stored is None:
        state.set_meta(IDENTITY_KEY, json.dumps(identity, sort_keys=True))
        return state
    recorded = json.loads(stored)
    if recorded == identity:
        return state
    if not reset:
        raise ChainMismatch(
            f"{db_path} belongs to another chain: it was built on ledger {recorded['ledger']} deployed in block "
            f"{recorded['deployment_block']} (hash {_short(recorded['deployment_block_hash'])}, chain "
            f"{recorded['chain_id']}), but {rpc_url} has {_describe(identity)}. Point --rpc/--deployment at the "
            "chain it belongs to, or pass --reset-state to move this database aside and start afresh")
    aside = move_aside(db_path)
    print(f"--reset-state: moved {db_path} (built on another chain) to {aside}; starting a new database", file=sys.stderr)
    state = NodeState(db_path)
    state.set_meta(IDENTITY_KEY, json.dumps(identity, sort_keys=True))
    return state


def move_aside(db_path: Path) -> Path:
    """Rename the database and its WAL files to `<name>.<UTC time>.old`; returns the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = db_path.with_name(f"{db_path.name}.{stamp}.old")
    for suffix in ("", "-wal", "-shm"):
        part = db_path.with_name(db_path.name + suffix)
        if part.exists():
            part.rename(aside.with_name(aside.name + suffix))
    return aside


def _describe(identity: dict) -> str:
    if identity["deployment_block_hash"] is None:
        return f"no block {identity['deployment_block']} (chain {identity['chain_id']})"
    return (f"ledger {identity['ledger']} with block {identity['deployment_block']} = "
            f"{_short(identity['deployment_block_hash'])} (chain {identity['chain_id']})")


def _short(block_hash: str | None) -> str:
    return "none" if block_hash is None else block_hash[:12] + "…"
