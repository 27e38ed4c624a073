"""Helpers of the v2 audit tests (a module of its own: `conftest` is not a unique module name in this suite)."""
from __future__ import annotations

from pathlib import Path

from node.audit.run import AuditOptions


def audit_options(history, db: Path, **kw) -> AuditOptions:
    """The audit of the whole scenario, chain-only (no artifacts are served), to one block behind the head."""
    return AuditOptions(home=history.home, db_path=db, artifacts=False,
                        to_block=history.ledger.w3.eth.block_number - 1, **kw)
