"""Read the ledger's history from any JSON-RPC endpoint into the audit database, page by page, resumably.

Each page of blocks is stored in one SQLite transaction together with the cursor, so the database always
holds a prefix of the chain's history and nothing else: an RPC endpoint that drops, times out or answers
garbage mid-read stops the read with `RpcInterrupted`, and the next run continues after the cursor.
A cursor block whose hash has changed (a chain reset or another chain on the same URL) is refused.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sqlite_utils
from hexbytes import HexBytes
from web3 import Web3

from node.chain.v2.views import LedgerV2
from node.chain.errors import ChainError

from .db import cursor, dumps

SEED_DELAY = 2  # blocks between a claim's submission and its seed block (the contract's SEED_DELAY)


class RpcInterrupted(ChainError):
    """The RPC endpoint failed mid-read; what was read is saved and the next run resumes after it."""


class ChainMismatch(ChainError):
    """The chain behind the RPC URL is not the one this database was read from."""


def audit_web3(rpc_url: str, timeout_s: float) -> Web3:
    """A Web3 with a hard per-request timeout and no hidden retries: the audit decides when to retry."""
    provider = Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None)
    return Web3(provider)


@dataclass(frozen=True)
class IngestResult:
    first_block: int  # first block read by this run
    target_block: int  # the snapshot block the audit is taken at
    pages: int  # pages read by this run
    resumed: bool  # this run continued an earlier, interrupted read
    events: int  # events stored by this run


class Reader:
    """Runs one RPC call with bounded retries; the last failure becomes `RpcInterrupted` with `where`."""

    def __init__(self, rpc_url: str, retries: int, backoff_s: float = 0.5):
        self.rpc_url, self.retries, self.backoff_s = rpc_url, retries, backoff_s

    def __call__(self, what: str, fn: Callable, resume_hint: str):
        for attempt in range(self.retries + 1):
            try:
                return fn()
            except Exception as exc:  # requests' ConnectionError / ReadTimeout, bad JSON, RPC errors
                last = exc
                if attempt < self.retries:
                    time.sleep(self.backoff_s * 2 ** attempt)
        raise RpcInterrupted(f"the JSON-RPC endpoint {self.rpc_url} failed while {what} "
                             f"({type(last).__name__}: {str(last)[:200]}) after {self.retries + 1} attempts; "
                             f"{resume_hint}") from last


def ingest(db: sqlite_utils.Database, ledger: LedgerV2, deployment_block: int, rpc_url: str, *,
           page_blocks: int, retries: int, to_block: int | None = None,
           progress: Callable[[int, int], None] | None = None) -> IngestResult:
    """Store every ledger event in (cursor, target] and the block hashes the checks need (claim seeds)."""
    if page_blocks < 1:
        raise ValueError(f"--page-blocks must be >= 1, got {page_blocks}")
    w3 = ledger.w3
    read = Reader(rpc_url, retries)
    saved = cursor(db)
    start_hint = "nothing was saved yet; run the audit again"
    latest = read("asking for the latest block", lambda: w3.eth.block_number, start_hint)
    # One block behind the head by default: the newest block's logs may not be served yet (node/roles/runtime.py).
    target = max(latest - 1, 0) if to_block is None else to_block
    if target > latest:
        raise ValueError(f"--to-block {target} is beyond the chain's latest block {latest}")
    first = deployment_block
    if saved is not None:
        stored_hash = saved["block_hash"]
        chain_hash = read(f"reading block {saved['block']}",
                          lambda: _block_hash(w3, saved["block"]), start_hint)
        if chain_hash != stored_hash:
            raise ChainMismatch(
                f"block {saved['block']} has hash {chain_hash} on {rpc_url}, but the audit database read it as "
                f"{stored_hash}: the chain was reset or replaced; audit into a new --db")
        first = saved["block"] + 1
    if target < first - 1:
        raise ValueError(f"the audit database already holds blocks up to {first - 1}, past --to-block {target}: "
                         "use a new --db to audit an earlier block")
    pages = stored = 0
    start = first
    while start <= target:
        end = min(start + page_blocks - 1, target)
        hint = (f"blocks {deployment_block}..{start - 1} are saved in the audit database; run the audit again "
                f"to continue from block {start}")
        events = read(f"reading events of blocks {start}..{end}", lambda: ledger.events(start, end), hint)
        end_hash = read(f"reading block {end}", lambda: _block_hash(w3, end), hint)
        with db.atomic():  # one transaction: the events of the page and the cursor move
            db["events"].insert_all(
                ({"block": e["blockNumber"], "log_index": e["logIndex"],
                  "tx_hash": HexBytes(e["transactionHash"]).to_0x_hex(), "name": e["event"], "args": dumps(e["args"])}
                 for e in events),
                pk=("block", "log_index"), replace=True)
            db["cursor"].insert({"name": "events", "block": end, "block_hash": end_hash, "updated_at": time.time()},
                                pk="name", replace=True)
        pages += 1
        stored += len(events)
        if progress:
            progress(end - first + 1, target - first + 1)
        start = end + 1
    _store_seed_blocks(db, read, w3, target)
    return IngestResult(first_block=first, target_block=target, pages=pages, resumed=saved is not None,
                        events=stored)


def _block_hash(w3: Web3, number: int) -> str:
    block = w3.eth.get_block(number)
    return HexBytes(block["hash"]).to_0x_hex()


def _store_seed_blocks(db: sqlite_utils.Database, read: Reader, w3: Web3, target: int) -> None:
    """Hashes of the claims' seed blocks (submitBlock + SEED_DELAY) mined by the snapshot block.

    Read from block headers, not the contract's claimSeed (which only answers for 256 blocks).
    """
    wanted = [r["n"] for r in db.query(
        "select distinct json_extract(args, '$.submitBlock') + ? as n from events where name = 'ClaimSubmitted' "
        "and n <= ? and n not in (select number from blocks)", [SEED_DELAY, target])]
    hint = "the events are saved; run the audit again to finish"
    for number in wanted:
        block_hash = read(f"reading seed block {number}", lambda: _block_hash(w3, number), hint)
        with db.atomic():
            db["blocks"].insert({"number": number, "hash": block_hash}, pk="number", replace=True)


def db_path_default(home: Path) -> Path:
    return home / "audit" / "audit.db"
