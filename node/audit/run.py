"""The whole audit: connect, read the history (resumably), rebuild the tables, snapshot the views, check, report."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from node.chain.client import Ledger
from node.chain.errors import ChainError
from node.config import Deployment, deployment_path

from .checks import Snapshot, all_ledger_checks, rows
from .db import bind_deployment, get_meta, open_db
from .evidence import Evidence, check_head_averages, check_reverify, resolve_specs
from .ingest import Reader, audit_web3, ingest
from node.chain.enums import ClaimStatus, Role, label

from .rebuild import rebuild
from .report import AuditReport, CheckResult


@dataclass
class AuditOptions:
    home: Path
    db_path: Path
    rpc_url: str | None = None
    deployment_file: Path | None = None
    spec_files: list[Path] = field(default_factory=list)
    page_blocks: int = 2000
    reverify: int = 0
    reverify_seed: int | None = None
    rpc_timeout_s: float = 10.0
    rpc_retries: int = 2
    to_block: int | None = None
    artifacts: bool = True  # fetch artifacts (head averages, metrics, replays); off: chain-only checks


def run_audit(opts: AuditOptions, progress=None) -> AuditReport:
    """Run every check; raises RpcInterrupted (resumable) or ChainError before any check is reported."""
    deployment = Deployment.load(opts.deployment_file or deployment_path(opts.home))
    if deployment.ledger_version == 2:
        from .v2.run import run_audit_v2

        return run_audit_v2(opts, deployment, progress)
    rpc_url = opts.rpc_url or deployment.rpc_url
    w3 = audit_web3(rpc_url, opts.rpc_timeout_s)
    read = Reader(rpc_url, opts.rpc_retries)
    chain_id = _connect(w3, read, deployment, rpc_url)
    ledger = Ledger(w3, deployment.address)
    db = open_db(opts.db_path)
    bind_deployment(db, chain_id, deployment.address, deployment.block)
    if get_meta(db, "ledger_version") not in (None, "1"):
        raise ValueError(f"the audit database {opts.db_path} holds a v{get_meta(db, 'ledger_version')} audit: "
                         "pass another --db")
    with db.conn:  # the last run's verdicts go first: a read that fails now must not leave an old PASS on show
        if db["checks"].exists():
            db["checks"].delete_where()

    result = ingest(db, ledger, deployment.block, rpc_url, page_blocks=opts.page_blocks, retries=opts.rpc_retries,
                    to_block=opts.to_block, progress=progress)
    rebuild(db, ledger, chain_id)
    snap = read_snapshot(db, ledger, result.target_block, read)

    checks = all_ledger_checks(db, snap)
    specs, spec_check = resolve_specs(db, opts.spec_files, opts.home)
    checks.append(spec_check)
    if opts.artifacts:
        evidence = Evidence(chain_id=chain_id, ledger=deployment.address)
        try:
            checks.append(check_head_averages(db, specs, evidence))
            checks.append(check_reverify(db, specs, evidence, opts.reverify, opts.reverify_seed))
        finally:
            evidence.close()
    else:
        skipped = CheckResult("head_average", "every head is the average of its round's accepted results",
                              status="skipped")
        checks.append(skipped.settle("artifacts not fetched (--no-artifacts)"))
    save_checks(db, checks, snap.block)
    return AuditReport(chain_id=chain_id, ledger=deployment.address, rpc_url=rpc_url,
                       deployment_block=deployment.block, snapshot_block=result.target_block, db=str(opts.db_path),
                       read={"first_block": result.first_block, "pages": result.pages, "events": result.events,
                             "resumed": result.resumed},
                       checks=checks)


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


def read_snapshot(db: sqlite_utils.Database, ledger: Ledger, block: int, read: Reader) -> Snapshot:
    """The contract's views at `block`, for everything the rebuilt tables name."""
    hint = "the events are saved; run the audit again to finish"

    def call(fn, *args):
        return read(f"calling {fn} at block {block}", lambda: ledger.call(fn, *args, block=block), hint)

    balance = read(f"reading the ledger's balance at block {block}",
                   lambda: ledger.w3.eth.get_balance(ledger.address, block), hint)
    snap = Snapshot(block=block, balance=balance, total_escrow=call("totalEscrow"),
                    total_credits=call("totalCredits"), total_stakes=call("totalStakes"),
                    counters=tuple(call("counters")))
    for j in rows(db, "select job_id from jobs"):
        v = call("getJob", j["job_id"])
        snap.jobs[j["job_id"]] = {"escrow": v[2], "reserved": v[3], "round": v[4], "head": "0x" + v[6].hex(),
                                  "open_claims": v[7]}
    for c in rows(db, "select claim_id from claims"):
        v = call("getClaim", c["claim_id"])
        snap.claims[c["claim_id"]] = {"status": label(ClaimStatus, v[9]), "approvals": v[10],
                                      "rejections": v[11]}
    for s in rows(db, "select account, role from stakes"):
        v = call("stakeOf", s["account"], Role[s["role"].upper()])
        snap.stakes[(s["account"], s["role"])] = {"active": v[0], "unbonding": v[1]}
    accounts = {r["account"] for r in rows(db, "select account from credits union select account from withdrawals "
                                               "union select account from stakes")}
    for account in sorted(accounts):
        credit = call("creditOf", account)
        if credit:
            snap.credits[account] = credit
    for r in rows(db, "select job_id, round from rounds"):
        v = call("roundInfo", r["job_id"], r["round"])
        snap.rounds[(r["job_id"], r["round"])] = {"accepted_count": v[3], "accepted_acc": "0x" + v[4].hex()}
    return snap


def save_checks(db: sqlite_utils.Database, checks: list[CheckResult], block: int) -> None:
    """The last run's results, for the explorer (which shows only what the audit established)."""
    with db.conn:
        db["checks"].delete_where()
        db["checks"].insert_all([{"name": c.name, "status": c.status, "summary": c.summary,
                                  "evidence": json.dumps(c.evidence, default=str), "position": i}
                                 for i, c in enumerate(checks)], pk="name", replace=True)
        db["meta"].insert({"key": "snapshot_block", "value": str(block)}, pk="key", replace=True)
