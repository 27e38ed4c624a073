"""The audit, start to report: the resumable ingest (node/audit/ingest.py, generic over the ledger's ABI) with
the LedgerV2 ABI, the jury seed blocks, the v2 rebuild, the views at the snapshot block, the v2 checks, then the
artifact checks (artifacts.py)."""
from __future__ import annotations

import sqlite_utils

from node.chain.v2.rules import jury_seed_block
from node.chain.v2.views import LedgerV2
from node.config import Deployment

from ..db import bind_deployment, get_meta, open_db
from ..chain_records import store_block_records
from ..ingest import Reader, _block_hash, audit_web3, ingest
from ..report import AuditReport
from .artifacts import artifact_checks
from .checks import all_checks
from .rebuilt import Rebuilt
from .rebuild import rebuild
from .snapshot import read_snapshot
from .store import load


AUDIT_LOSS_BUDGET = 256  # transcripts read per audit run for the curves; the next run reads on


def store_losses(db: sqlite_utils.Database, chain_id: int, ledger: str, budget: int, config=None):
    """The due claims' transcripts into the curve tables (node/audit/v2/losses.py)."""
    from .artifacts import Evidence
    from .losses import store_claim_losses

    evidence = Evidence(chain_id=chain_id, ledger=ledger, **({"config": config} if config else {}))
    try:
        return store_claim_losses(db, evidence, budget=budget)
    finally:
        evidence.close()


def store_jury_seed_blocks(db: sqlite_utils.Database, read: Reader, w3, target: int) -> None:
    """Hashes of every jury attempt's seed block (attemptStart + SEED_DELAY), from block headers."""
    starts = [r["n"] for r in db.query(
        "select json_extract(args, '$.openBlock') as n from events where name = 'DisputeOpened' union "
        "select json_extract(args, '$.startBlock') from events where name = 'JuryRedrawn'")]
    have = {r["number"] for r in db.query("select number from blocks")}
    hint = "the events are saved; run the audit again to finish"
    for number in sorted({jury_seed_block(s) for s in starts} - have):
        if number > target:
            continue
        block_hash = read(f"reading jury seed block {number}", lambda: _block_hash(w3, number), hint)
        with db.atomic():
            db["blocks"].insert({"number": number, "hash": block_hash}, pk="number", replace=True)


def read_chain(opts, deployment: Deployment, progress=None, *, clear_checks: bool = True):
    """The chain into the database: the events after the cursor, the seed blocks, the explorer's block headers and
    transactions, then the v2 tables rebuilt. Returns (db, ledger, read, ingest result, chain id). `gradchain audit` clears
    the last verdicts first (an interrupted read leaves none behind); the explorer's live sync keeps them."""
    from ..run import _connect

    rpc_url = opts.rpc_url or deployment.rpc_url
    w3 = audit_web3(rpc_url, opts.rpc_timeout_s)
    read = Reader(rpc_url, opts.rpc_retries)
    chain_id = _connect(w3, read, deployment, rpc_url)
    ledger = LedgerV2(w3, deployment.address)
    db = open_db(opts.db_path)
    bind_deployment(db, chain_id, deployment.address, deployment.block)
    if get_meta(db, "ledger_version") not in (None, "2"):
        raise ValueError(f"the audit database {opts.db_path} holds a v{get_meta(db, 'ledger_version')} audit (of a "
                         "retired v1 ledger): pass another --db")
    with db.atomic():
        db["meta"].insert({"key": "ledger_version", "value": "2"}, pk="key", replace=True)
        if clear_checks:
            db["checks"].delete_where()
    result = ingest(db, ledger, deployment.block, rpc_url, page_blocks=opts.page_blocks, retries=opts.rpc_retries,
                    to_block=opts.to_block, progress=progress)
    store_jury_seed_blocks(db, read, w3, result.target_block)
    store_block_records(db, read, w3, ledger.contract, result.target_block)
    rebuild(db)
    return db, ledger, read, result, chain_id


def run_audit_v2(opts, deployment: Deployment, progress=None) -> AuditReport:
    """opts: node.audit.run.AuditOptions; the artifact checks (spec files, head averages, --reverify) fetch from
    the workers' artifactURIs unless opts.artifacts is off (then they are reported skipped)."""
    from ..run import save_checks

    rpc_url = opts.rpc_url or deployment.rpc_url
    db, ledger, read, result, chain_id = read_chain(opts, deployment, progress)
    tables = load(db)
    hint = "the events are saved; run the audit again to finish"
    snap = read_snapshot(ledger, tables, result.target_block, lambda what, fn: read(f"reading {what}", fn, hint))
    checks = all_checks(tables, snap)
    checks += artifact_checks(db, Rebuilt(tables), opts, chain_id, deployment.address)
    save_checks(db, checks, snap.block)
    if opts.artifacts:  # the explorer's training curves (not a check: a missing transcript fails nothing here)
        store_losses(db, chain_id, deployment.address, budget=AUDIT_LOSS_BUDGET)
    return AuditReport(chain_id=chain_id, ledger=deployment.address, rpc_url=rpc_url,
                       deployment_block=deployment.block, snapshot_block=result.target_block, db=str(opts.db_path),
                       read={"first_block": result.first_block, "pages": result.pages, "events": result.events,
                             "resumed": result.resumed},
                       checks=checks)
