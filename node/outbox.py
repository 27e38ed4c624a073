"""Transaction outbox: every transaction is signed and written down before it is sent.

A node killed at any moment restarts, finds its unfinished rows and re-broadcasts the very same signed
bytes (same nonce, same hash), so work is neither lost nor sent twice. Each row has an intent key
(`claim:1:3`, `vote:12`) so the node never signs two different transactions for one intent.
"""
from __future__ import annotations

import time
from typing import Any

from eth_account.signers.local import LocalAccount

from . import failpoints
from .chain.client import Ledger, SignedTx
from .chain.errors import ChainError, ContractRevert
from .state import NodeState

SIGNED, SENT, MINED, FAILED = "signed", "sent", "mined", "failed"


class Outbox:
    def __init__(self, state: NodeState, ledger: Ledger, account: LocalAccount):
        self.state = state
        self.ledger = ledger
        self.account = account

    def status(self, key: str) -> dict | None:
        return self.state.one("select * from outbox where key = ?", (key,))

    def submit(self, key: str, function: str, *args: Any, value: int = 0, wait: bool = True) -> dict:
        """Send `function(*args)` once for `key`; returns the outbox row. A revert at signing is raised."""
        row = self.status(key)
        if row is None:
            signed = self.ledger.prepare(self.account, function, *args, value=value)  # may raise ContractRevert
            now = time.time()
            row = {"key": key, "function": function, "sender": signed.sender, "nonce": signed.nonce,
                   "tx_hash": signed.tx_hash, "raw": signed.raw.hex(), "status": SIGNED, "error": "",
                   "created_at": now, "updated_at": now}
            self.state.upsert("outbox", row)  # durable before it leaves the process
            failpoints.hit(f"outbox-signed:{function}")
        if row["status"] in (MINED, FAILED):
            return row
        row = self._broadcast(row)
        return self._settle(row) if wait else row

    def settle(self, key: str) -> dict | None:
        """Make sure the transaction already signed for `key` is mined (re-broadcasting it if needed)."""
        row = self.status(key)
        if row is None or row["status"] in (MINED, FAILED):
            return row
        return self._settle(self._broadcast(row))

    def reconcile(self) -> list[dict]:
        """After a restart: settle every row that was signed or sent but not seen mined."""
        return [self._settle(self._broadcast(row))
                for row in self.state.rows("select * from outbox where status in (?, ?) order by nonce",
                                           (SIGNED, SENT))]

    def _signed(self, row: dict) -> SignedTx:
        return SignedTx(tx_hash=row["tx_hash"], raw=bytes.fromhex(row["raw"]), nonce=row["nonce"],
                        sender=row["sender"], function=row["function"])

    def _broadcast(self, row: dict) -> dict:
        if self.ledger.receipt(row["tx_hash"]) is None:
            try:
                self.ledger.broadcast(self._signed(row))
            except ChainError as exc:
                return self._mark(row, FAILED, str(exc))
        return self._mark(row, SENT) if row["status"] == SIGNED else row

    def _settle(self, row: dict, attempts: int = 3) -> dict:
        if row["status"] != SENT:
            return row
        for attempt in range(attempts):
            try:
                self.ledger.wait(self._signed(row), timeout_s=30)
                return self._mark(row, MINED)
            except ContractRevert as exc:
                return self._mark(row, FAILED, str(exc))
            except ChainError:
                # Not mined yet: a restarted chain may have dropped its mempool, so send the same bytes again.
                if attempt + 1 < attempts:
                    self._broadcast(row)
        return row

    def _mark(self, row: dict, status: str, error: str = "") -> dict:
        row = {**row, "status": status, "error": error, "updated_at": time.time()}
        self.state.upsert("outbox", row)
        return row
