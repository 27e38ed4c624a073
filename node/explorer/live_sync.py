"""Keep the audit database in step with the chain while the explorer runs: a background thread that repeats the
audit's own resumable read (node/audit/v2/run.py read_chain: events after the cursor, seed blocks, block headers
and transactions, the tables rebuilt), without the checks. Pages read the database as before; they show how
fresh it is from the cursor and the `live_*` meta keys written here."""
from __future__ import annotations

import threading
import time

from node.audit.db import open_db
from node.audit.run import AuditOptions
from node.config import Deployment

LIVE_LOSS_BUDGET = 16  # transcripts read per sync: a page refresh never waits on a backlog


def sync_once(opts: AuditOptions, deployment: Deployment) -> int:
    """One incremental read; returns the block the database is synced to. Raises what the read raises."""
    from node.audit.v2.losses import LIVE_FETCH
    from node.audit.v2.run import read_chain, store_losses

    db, _, _, result, chain_id = read_chain(opts, deployment, clear_checks=False)
    try:
        if opts.artifacts:  # new claims' transcripts, for the training curves: a few per sync, short timeouts
            store_losses(db, chain_id, deployment.address, budget=LIVE_LOSS_BUDGET, config=LIVE_FETCH)
        with db.atomic():
            db["meta"].insert_all([{"key": "live_synced_at", "value": str(time.time())},
                                   {"key": "live_error", "value": ""}], pk="key", replace=True)
    finally:
        db.conn.close()
    return result.target_block


def record_error(opts: AuditOptions, exc: Exception) -> None:
    """The last failure, for the pages' sync line (the explorer keeps serving what it has)."""
    db = open_db(opts.db_path)
    try:
        with db.atomic():
            db["meta"].insert({"key": "live_error", "value": f"{type(exc).__name__}: {exc}"[:500]}, pk="key",
                              replace=True)
    finally:
        db.conn.close()


class LiveSync:
    """sync_once every `interval_s` seconds in a daemon thread until stop()."""

    def __init__(self, opts: AuditOptions, deployment: Deployment, interval_s: float = 2.0):
        if interval_s <= 0:
            raise ValueError(f"--sync-every must be a positive number of seconds, got {interval_s}")
        self.opts, self.deployment, self.interval_s = opts, deployment, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="explorer-live-sync")
        self.synced_block: int | None = None
        self.syncs = 0

    def start(self) -> "LiveSync":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.synced_block = sync_once(self.opts, self.deployment)
                self.syncs += 1
            except Exception as exc:  # an RPC hiccup or a reset chain: shown on the pages, retried next time
                try:
                    record_error(self.opts, exc)
                except Exception:
                    pass  # the database itself is unwritable: nothing to show it on either
            self._stop.wait(self.interval_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout_s)
