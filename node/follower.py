"""Follow the ledger's events from the last processed block into the node's SQLite state.

Blocks are read in pages up to `latest - confirmations`; each page's rows and the cursor are written in one
SQLite transaction, and every row is an upsert by on-chain id, so a crash mid-page replays harmlessly.
Each page also records the hashes of its last block and of every block with an event; before reading on,
the follower checks that the chain still holds its cursor's block. When it does not (a reorg, or a devnet
restarted from a state file that is behind), it rolls back to the newest block the chain still holds and
rebuilds its tables from the events it kept (node/reorg.py), then tells the listeners (the outbox re-sends).
"""
from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, Callable

from hexbytes import HexBytes

from .chain.client import Ledger
from .chain.raw_reads import RawReads
from .events_v2 import V2Handlers
from .reorg import ChainReplaced, Rollback, common_ancestor
from .state import CURSOR_KEY, DERIVED_TABLES, NodeState

# Block-hash rows kept for blocks without events: enough to find an ancestor quickly; older ones are pruned
# (blocks with events are always kept, and the binary search works on whatever remains).
RECENT_BLOCKS_KEPT = 1024
PRUNE_EVERY_POLLS = 256  # the prune is a write transaction of its own: not one every poll
# Blocks without events move the cursor in memory; it is written at most this often (and with every event). A
# commit costs about 1 ms of CPU (synchronous=FULL), four a second for a devnet's blocks; after a crash the
# node re-reads at most these seconds of blocks, which is harmless (every row is an upsert by on-chain id).
CURSOR_WRITE_EVERY_S = 5.0
# Events after which a job's state (LedgerV2.getJob: round, head, open claims, the pending proposal, ...) is what
# it was: a role's cached read of it stays good. Approvals are most of a round's events; any event not named here
# (one added to the contract later too) counts as a change.
JOB_STATE_KEPT = frozenset({"Approved", "Credited", "Staked", "UnstakeRequested", "StakeWithdrawn", "Withdrawn",
                            "SeatRegistered", "SeatRetired", "VerdictCommitted", "VerdictRevealed", "JurySeated",
                            "JuryRedrawn", "Slashed", "EIP712DomainChanged"})


def plain(value: Any) -> Any:
    """Event values as JSON-friendly Python: bytes → 0x-hex, nested tuples → lists."""
    if isinstance(value, (bytes, bytearray, HexBytes)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):  # web3's AttributeDict for struct arguments is a Mapping, not a dict
        return {k: plain(v) for k, v in value.items()}
    return value


class EventFollower:
    def __init__(self, state: NodeState, ledger: Ledger, start_block: int, confirmations: int = 0,
                 page_blocks: int = 2000):
        self.state = state
        self.ledger = ledger
        self.start_block = start_block
        self.confirmations = confirmations
        self.page_blocks = page_blocks
        self.rollback_listeners: list[Callable[[Rollback], None]] = []
        self.latest_seen: tuple[int, float] | None = None  # (chain head, monotonic time read): roles reuse it
        self.events_applied = 0  # grows with every event applied or rolled back: caches of chain state key on it
        self.job_events_applied = 0  # the same, less the events that never change a job's state (JOB_STATE_KEPT)
        # One handler per LedgerV2 event that changes what a node acts on (node/events_v2.py).
        self.handlers: dict[str, Callable[[dict, dict], None]] = V2Handlers(state).table()
        self.reads = RawReads.of(ledger.w3, ledger.address)  # the runtime counts and times its requests
        self._polls = 0
        # (number, hash) of the newest block processed, when it is newer than the cursor written to node.db
        self._tip: tuple[int, str] | None = None
        self._written_at = time.monotonic()

    @property
    def cursor(self) -> int:
        if self._tip is not None:
            return self._tip[0]
        return self.state.last_block(default=self.start_block - 1)

    def poll(self) -> list[dict]:
        """Apply every new confirmed event; returns them (as plain dicts) for the role loop to react to.

        One batched read a poll (node/chain/raw_reads.py) holds the chain head, the block at the cursor (still
        ours?) and the block after it with its logs: when that block is all that is new and its parent is the
        cursor's block, it is applied from that read alone. Anything else (several new blocks, a changed cursor
        block, a chain that went back) takes the page path below, which checks the chain first."""
        cursor = self.cursor
        probe = self.reads.probe(cursor)
        self.latest_seen = (probe.latest, time.monotonic())
        safe_head = probe.latest - self.confirmations
        recorded = self._recorded_hash(cursor)
        applied: list[dict] = []
        if safe_head < cursor or (recorded is not None and (probe.at_cursor is None
                                                             or probe.at_cursor.hash != recorded)):
            self.check_chain(probe.latest)  # the chain went back or replaced our block: roll back, read on
        elif safe_head == cursor + 1 and self._extends(probe, recorded):
            events = self._decode(probe.logs_after_cursor)
            self._commit_page(events, cursor + 1, probe.after_cursor.hash)
            applied.extend(events)
        while self.cursor < safe_head:
            first = self.cursor + 1
            last = min(safe_head, first + self.page_blocks - 1)
            # The page end's hash is read before its logs: if the chain changes in between, the next poll's
            # check of the cursor's hash sees it and rolls the page back.
            end = self.reads.block(last)
            events = self._decode(self.reads.logs(first, last))
            self._commit_page(events, last, end.hash if end is not None else None)
            applied.extend(events)
        self._polls += 1
        if self._polls % PRUNE_EVERY_POLLS == 0:
            self._prune_blocks()
        return applied

    @staticmethod
    def _extends(probe, recorded: str | None) -> bool:
        """The probe's next block is mined on our cursor's block, and the logs read with it are that block's."""
        after = probe.after_cursor
        if after is None or probe.logs_after_cursor is None:
            return False
        if recorded is not None and after.parent_hash != recorded:
            return False
        return all(log["blockHash"].lower() == after.hash for log in probe.logs_after_cursor)

    def _decode(self, raw_logs: list[dict]) -> list[dict]:
        return [self._plain_event(e) for e in self.ledger.decode_raw_logs(raw_logs)]

    def _commit_page(self, events: list[dict], last: int, last_hash: str | None) -> None:
        if not events and last_hash is not None and time.monotonic() - self._written_at < CURSOR_WRITE_EVERY_S:
            self._tip = (last, last_hash)
            return
        self._tip = None
        self._written_at = time.monotonic()
        with self.state.db.atomic():  # one transaction: the page's rows, its block hashes and the cursor
            for event in events:
                self._apply(event)
                self._record_block(event["block"], event["block_hash"], has_events=True)
            if last_hash is not None:
                self._record_block(last, last_hash, has_events=False)
            self.state.set_meta(CURSOR_KEY, last)
        self.events_applied += len(events)
        self.job_events_applied += sum(1 for e in events if e["name"] not in JOB_STATE_KEPT)

    def _recorded_hash(self, number: int) -> str | None:
        if self._tip is not None and self._tip[0] == number:
            return self._tip[1]
        row = self.state.one("select hash from blocks where number = ?", (number,))
        return row["hash"] if row is not None else None

    # -- reorgs ----------------------------------------------------------------------------------------------
    def check_chain(self, latest: int | None = None) -> Rollback | None:
        """Roll back if the chain no longer holds the block at the cursor; returns what was rolled back."""
        cursor = self.cursor
        recorded = self._recorded_hash(cursor)
        if recorded is None:
            return None  # nothing processed yet (or a database from before block hashes were recorded)
        latest = self.reads.latest() if latest is None else latest
        if cursor <= latest and self._chain_hash(cursor) == recorded:
            return None
        rows = [(r["number"], r["hash"]) for r in self.state.rows(
            "select number, hash from blocks where number <= ? order by number", (min(cursor, latest),))]
        ancestor = common_ancestor(rows, self._chain_hash)
        if ancestor is None:
            raise ChainReplaced(
                f"the chain at {self.ledger.w3.provider.endpoint_uri} holds none of the blocks this node processed "
                f"(down to block {rows[0][0] if rows else self.start_block}): its database belongs to another chain")
        rollback = self.rollback_to(ancestor, cursor, latest)
        for listener in self.rollback_listeners:
            listener(rollback)
        return rollback

    def rollback_to(self, ancestor: int, old_cursor: int, chain_head: int) -> Rollback:
        """Forget everything after `ancestor` and rebuild the derived tables from the events kept."""
        db = self.state.db
        self._tip = None  # a block held in memory is not in `blocks`, so the ancestor is at or below the written cursor
        with db.atomic():
            dropped = db.execute("delete from events where block > ?", (ancestor,)).rowcount
            db.execute("delete from blocks where number > ?", (ancestor,))
            for table in DERIVED_TABLES:
                db.execute(f"delete from {table}")
            for row in self.state.rows("select * from events order by block, log_index"):
                event = {**row, "args": json.loads(row["args"])}
                handler = self.handlers.get(event["name"])
                if handler:
                    handler(event["args"], event)
            self.state.set_meta(CURSOR_KEY, ancestor)
        self.events_applied += 1
        self.job_events_applied += 1
        rollback = Rollback(old_cursor=old_cursor, ancestor=ancestor, chain_head=chain_head, events_dropped=dropped)
        self.state.log("reorg", old_cursor=old_cursor, ancestor=ancestor, chain_head=chain_head,
                       events_dropped=dropped)
        return rollback

    def anchor(self, block: int) -> None:
        """Record the deployment block's hash: the oldest block the node trusts, so a foreign chain is seen."""
        if self.state.one("select number from blocks where number = ?", (block,)) is None:
            block_hash = self._chain_hash(block)
            if block_hash is not None:
                with self.state.db.atomic():
                    self._record_block(block, block_hash, has_events=True)

    def _chain_hash(self, number: int) -> str | None:
        header = self.reads.block(number)
        return header.hash if header is not None else None

    def _record_block(self, number: int, block_hash: str, has_events: bool) -> None:
        # An event block stays marked as one even when a later page end lands on the same number.
        self.state.db.execute(
            "insert into blocks (number, hash, has_events) values (?, ?, ?) on conflict(number) do update set "
            "hash = excluded.hash, has_events = max(has_events, excluded.has_events)",
            (number, block_hash, int(has_events)))

    def _prune_blocks(self) -> None:
        with self.state.db.atomic():
            self.state.db.execute("delete from blocks where has_events = 0 and number < ?",
                                  (self.cursor - RECENT_BLOCKS_KEPT,))

    @staticmethod
    def _plain_event(event: Any) -> dict:
        return {"name": event["event"], "args": plain(dict(event["args"])), "block": event["blockNumber"],
                "log_index": event["logIndex"], "tx_hash": "0x" + bytes(event["transactionHash"]).hex(),
                "block_hash": "0x" + bytes(event["blockHash"]).hex()}

    def _apply(self, event: dict) -> None:
        self.state.upsert("events", {"block": event["block"], "log_index": event["log_index"],
                                     "name": event["name"], "args": json.dumps(event["args"]),
                                     "tx_hash": event["tx_hash"]})
        handler = self.handlers.get(event["name"])
        if handler:
            handler(event["args"], event)
