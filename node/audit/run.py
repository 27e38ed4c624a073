"""`gradchain audit`'s entry point: the options, the deployment file, and the shared steps of a run (the chain
check, saving the verdicts). The audit itself is node/audit/v2/ (LedgerV2; v1 deployments are retired)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from node.chain.errors import ChainError
from node.config import Deployment, deployment_path

from .ingest import Reader
from .report import AuditReport, CheckResult


@dataclass
class AuditOptions:
    home: Path
    db_path: Path
    rpc_url: str | None = None
    deployment_file: Path | None = None
    # The artifact checks (node/audit/v2/artifacts.py): each job's spec (--spec files, else HOME/jobs/<id>/spec.json),
    # heads as the means of accepted results, and --reverify N full replays (seeded by reverify_seed).
    spec_files: list[Path] = field(default_factory=list)
    page_blocks: int = 2000
    reverify: int = 0
    reverify_seed: int | None = None
    rpc_timeout_s: float = 10.0
    rpc_retries: int = 2
    to_block: int | None = None
    artifacts: bool = True


def run_audit(opts: AuditOptions, progress=None) -> AuditReport:
    """Run every check; raises RpcInterrupted (resumable) or ChainError before any check is reported."""
    from .v2.run import run_audit_v2

    deployment = Deployment.load(opts.deployment_file or deployment_path(opts.home))
    return run_audit_v2(opts, deployment, progress)


def _connect(w3, read: Reader, deployment: Deployment, rpc_url: str) -> int:
    """The chain id, once the endpoint is the deployment's chain and the ledger has code there."""
    hint = "nothing was read; check --rpc and run the audit again"
    chain_id = read("asking for the chain id", lambda: w3.eth.chain_id, hint)
    if chain_id != deployment.chain_id:
        raise ChainError(f"the node at {rpc_url} is chain {chain_id}, but the deployment file says chain "
                         f"{deployment.chain_id}: wrong --rpc or --deployment")
    if not read("reading the ledger's code", lambda: w3.eth.get_code(deployment.address), hint):
        raise ChainError(f"no contract at {deployment.address} on chain {chain_id}: the devnet was restarted "
                         "without its state, or the deployment file is stale")
    return chain_id


def save_checks(db: sqlite_utils.Database, checks: list[CheckResult], block: int) -> None:
    """The last run's results, for the explorer (which shows only what the audit established)."""
    with db.atomic():
        db["checks"].delete_where()
        db["checks"].insert_all([{"name": c.name, "status": c.status, "summary": c.summary,
                                  "evidence": json.dumps(c.evidence, default=str), "position": i}
                                 for i, c in enumerate(checks)], pk="name", replace=True)
        db["meta"].insert({"key": "snapshot_block", "value": str(block)}, pk="key", replace=True)
