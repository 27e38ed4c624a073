"""Transaction outbox: every transaction is signed and written down before it is sent.

A node killed at any moment restarts, finds its unfinished rows and re-broadcasts the very same signed
bytes (same nonce, same hash), so work is neither lost nor sent twice. Each row has an intent key
(`claim:1:3`, `vote:12`) so the node never signs two different transactions for one intent.

A chain that went back (node/reorg.py) can lose transactions the outbox saw mined. `recover()` walks every
unfinished row in nonce order and, for each: keeps it if the chain has its receipt again; drops it if its
call now reverts (the intent no longer holds in this history: the row moves aside under a new key, so the
role decides afresh, e.g. a vote under the claim's new seed); re-broadcasts the same signed bytes if its
nonce is the account's next one; otherwise re-signs the same calldata with the next nonce. The old bytes of
a re-signed row can never land: their nonce is below the account's (taken by another transaction) or they
are gone from the chain's pool (a row still pending there is left alone).
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
LOST = "lost"  # was mined in a block the chain no longer holds, or its nonce went to another transaction
DROPPED = "dropped"  # lost, and its call reverts in the chain's new history: the role re-decides the intent
UNFINISHED = (SIGNED, SENT, LOST)
# How long one settle waits for a receipt before it returns the row still `sent`. Short, because the role loop
# calls it: a node waiting here neither follows the chain (a reorg would go unseen) nor serves its round. The
# next tick re-broadcasts the same bytes and waits again.
SETTLE_WAIT_S = 5.0


class Outbox:
    def __init__(self, state: NodeState, ledger: Ledger, account: LocalAccount):
        self.state = state
        self.ledger = ledger
        self.account = account
        self.resent = self.resigned = self.dropped = 0  # what recoveries did, for /status and the tests

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
                   "created_at": now, "updated_at": now, "block": None, "block_hash": None}
            self.state.upsert("outbox", row)  # durable before it leaves the process
            failpoints.hit(f"outbox-signed:{function}")
        if row["status"] in (MINED, FAILED):
            return row
        if row["status"] == LOST:
            self.recover()
            return self.status(key) or {**row, "status": DROPPED}
        row = self._broadcast(row)
        return self._settle(row) if wait else row

    def settle(self, key: str) -> dict | None:
        """Make sure the transaction already signed for `key` is mined (re-broadcasting it if needed)."""
        row = self.status(key)
        if row is None or row["status"] in (MINED, FAILED):
            return row
        if row["status"] == LOST:
            self.recover()
            return self.status(key)
        return self._settle(self._broadcast(row))

    def check_sent(self) -> int:
        """Mark sent rows whose receipts exist mined (or failed), without waiting: for transactions submitted
        with wait=False, so that a tick never blocks on one. Returns how many were settled."""
        settled = 0
        for row in self.state.rows("select * from outbox where status = ?", (SENT,)):
            if self.ledger.receipt(row["tx_hash"]) is not None:
                self._settled(row)
                settled += 1
        return settled

    def reconcile(self) -> list[dict]:
        """After a restart: settle every row that was signed, sent or lost but not seen mined."""
        return self.recover()

    # -- after a reorg ---------------------------------------------------------------------------------------
    def mark_lost_after(self, ancestor: int) -> int:
        """Rows mined in blocks above `ancestor` (which the chain no longer holds) become LOST."""
        with self.state.db.atomic():
            return self.state.db.execute(
                "update outbox set status = ?, updated_at = ? where status = ? and block > ?",
                (LOST, time.time(), MINED, ancestor)).rowcount

    def mark_lost_by_block_hash(self) -> int:
        """Rows whose mined block the follower has since recorded under another hash (a reorg above the
        follower's cursor, which its own check cannot see) become LOST. SQL only: no RPC per poll."""
        with self.state.db.atomic():
            return self.state.db.execute(
                "update outbox set status = ?, updated_at = ? where status = ? and exists (select 1 from blocks b "
                "where b.number = outbox.block and b.hash != outbox.block_hash)",
                (LOST, time.time(), MINED)).rowcount

    def recover(self) -> list[dict]:
        """Bring every unfinished row back on chain, in nonce order (see the module docstring)."""
        rows = self.state.rows(f"select * from outbox where status in ({','.join('?' * len(UNFINISHED))}) "
                               "order by nonce", UNFINISHED)
        if not rows:
            return []
        next_nonce = self.ledger.w3.eth.get_transaction_count(self.account.address, "latest")
        sent = []
        for row in rows:
            receipt = self.ledger.receipt(row["tx_hash"])
            if receipt is not None:
                self._mark_mined(row, receipt)
                continue
            if self.ledger.pending(row["tx_hash"]):
                next_nonce = max(next_nonce, row["nonce"] + 1)
                sent.append(self._mark(row, SENT))
                continue
            try:
                self.ledger.simulate(self._signed(row))
            except ContractRevert as exc:
                self._drop(row, exc)
                continue
            if row["nonce"] != next_nonce:
                row = self._resign(row, next_nonce)
            elif row["status"] == LOST:
                self.resent += 1
                self.state.log("outbox-resent", key=row["key"], nonce=row["nonce"], tx=row["tx_hash"])
            next_nonce += 1
            row = self._broadcast({**row, "status": SIGNED})
            sent.append(row)
        return self._settle_all(sent)

    def _resign(self, row: dict, nonce: int) -> dict:
        signed = self.ledger.resign(self.account, self._signed(row), nonce)
        self.resigned += 1
        self.state.log("outbox-resigned", key=row["key"], old_nonce=row["nonce"], nonce=nonce,
                       old_tx=row["tx_hash"], tx=signed.tx_hash)
        row = {**row, "nonce": nonce, "tx_hash": signed.tx_hash, "raw": signed.raw.hex(), "status": SIGNED,
               "block": None, "block_hash": None, "updated_at": time.time()}
        self.state.upsert("outbox", row)  # durable before the new bytes leave the process
        return row

    def _drop(self, row: dict, reason: ContractRevert) -> None:
        """Move the row aside (kept for the record) so the intent's key is free for the role to decide again."""
        self.dropped += 1
        self._move_aside(row, DROPPED, str(reason))
        self.state.log("outbox-dropped", key=row["key"], tx=row["tx_hash"], reason=reason.name)

    def _fail(self, row: dict, error: str) -> dict:
        """A transaction the chain refused or reverted: kept aside, its intent free to be decided again.

        The state it was signed against has changed (a vote under a seed a reorg replaced, a finalization another
        node won): the role looks again on its next tick, and signing again always simulates first, so a call
        that would still revert is refused before it costs gas."""
        moved = self._move_aside(row, FAILED, error)
        self.state.log("outbox-failed", key=row["key"], tx=row["tx_hash"], error=error[:300])
        return moved

    def _move_aside(self, row: dict, status: str, error: str) -> dict:
        moved = {**row, "key": f"{row['key']}#{status}:{row['tx_hash'][:18]}", "status": status, "error": error,
                 "updated_at": time.time()}
        with self.state.db.atomic():
            self.state.db["outbox"].delete(row["key"])
            self.state.upsert("outbox", moved)
        return moved

    # -- sending -------------------------------------------------------------------------------------------
    def _signed(self, row: dict) -> SignedTx:
        return SignedTx(tx_hash=row["tx_hash"], raw=bytes.fromhex(row["raw"]), nonce=row["nonce"],
                        sender=row["sender"], function=row["function"])

    def _broadcast(self, row: dict) -> dict:
        if self.ledger.receipt(row["tx_hash"]) is None:
            try:
                self.ledger.broadcast(self._signed(row))
            except ContractRevert as exc:
                return self._fail(row, str(exc))
            except ChainError as exc:
                if "nonce too low" in str(exc).lower():
                    # Its nonce went to another transaction (a reorg not yet seen, or the same key used
                    # elsewhere): recover() re-signs it with the next nonce.
                    return self._mark(row, LOST, str(exc))
                return self._fail(row, str(exc))
        return self._mark(row, SENT) if row["status"] == SIGNED else row

    def _settle(self, row: dict) -> dict:
        return self._settle_all([row])[0]

    def _settle_all(self, rows: list[dict]) -> list[dict]:
        """Wait, SETTLE_WAIT_S in all (not per row: recovery may hold many), for the sent rows' receipts.

        Half-way, rows still unmined are broadcast again (a restarted chain may have dropped its pool); rows
        still unmined at the end are returned `sent` for the next tick."""
        rows = list(rows)
        deadline = time.monotonic() + SETTLE_WAIT_S
        rebroadcast_at = time.monotonic() + SETTLE_WAIT_S / 2
        while True:
            for i, row in enumerate(rows):
                if row["status"] == SENT and self.ledger.receipt(row["tx_hash"]) is not None:
                    rows[i] = self._settled(row)
            waiting = [i for i, row in enumerate(rows) if row["status"] == SENT]
            if not waiting or time.monotonic() >= deadline:
                return rows
            if rebroadcast_at is not None and time.monotonic() >= rebroadcast_at:
                rebroadcast_at = None
                for i in waiting:
                    rows[i] = self._broadcast(rows[i])
            time.sleep(0.1)

    def _settled(self, row: dict) -> dict:
        """A sent row whose receipt exists: mined, or failed with the revert decoded."""
        try:
            return self._mark_mined(row, self.ledger.wait(self._signed(row), timeout_s=SETTLE_WAIT_S))
        except ContractRevert as exc:
            return self._fail(row, str(exc))

    def _mark_mined(self, row: dict, receipt: dict) -> dict:
        if receipt["status"] != 1:
            return self._fail(row, f"reverted in block {receipt['blockNumber']}")
        return self._mark(row, MINED, block=receipt["blockNumber"],
                          block_hash="0x" + bytes(receipt["blockHash"]).hex())

    def _mark(self, row: dict, status: str, error: str = "", **fields: Any) -> dict:
        row = {**row, "status": status, "error": error, "updated_at": time.time(), **fields}
        self.state.upsert("outbox", row)
        return row
