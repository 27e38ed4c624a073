"""Block headers and transactions for the explorer: the time, hash and parent of every block that holds a ledger
event (and of every seed block the checks read), and every transaction of those blocks with its sender, target,
function, value and gas used.

Read after the event pages (ingest.py), so an endpoint failing here leaves the events and the cursor saved: the
next run fills in what is missing. The checks do not read these tables; only the explorer does.
"""
from __future__ import annotations

import sqlite_utils
from hexbytes import HexBytes
from web3 import Web3

from .ingest import Reader

TRANSACTIONS = {"columns": {"hash": str, "block": int, "tx_index": int, "sender": str, "target": str, "value": str,
                            "selector": str, "function": str, "gas_used": int, "status": int},
                "pk": "hash"}
BLOCK_COLUMNS = {"timestamp": int, "parent_hash": str, "tx_count": int}


def ensure_tables(db: sqlite_utils.Database) -> None:
    """The header columns on `blocks` (databases from before them gain them, NULL until read) and `transactions`."""
    missing = {k: v for k, v in BLOCK_COLUMNS.items() if k not in db["blocks"].columns_dict}
    if missing:
        db["blocks"].add_missing_columns([missing])
    if not db["transactions"].exists():
        db["transactions"].create(TRANSACTIONS["columns"], pk=TRANSACTIONS["pk"])
        db["transactions"].create_index(["block"], if_not_exists=True)


def function_name(contract, target: str | None, ledger_address: str, data: bytes) -> tuple[str, str]:
    """(selector, function): the ledger function a transaction called, by the ledger's ABI."""
    if target is None:
        return "", "(contract creation)"
    if not data:
        return "", "(plain transfer)"
    selector = "0x" + data[:4].hex()
    if target.lower() != ledger_address.lower():
        return selector, f"(call to another contract, selector {selector})"
    try:
        return selector, contract.get_function_by_selector(data[:4]).fn_name
    except ValueError:
        return selector, f"(unknown function, selector {selector})"


def store_block_records(db: sqlite_utils.Database, read: Reader, w3: Web3, contract, target: int) -> int:
    """Read the header and transactions of each block up to `target` that has a ledger event or a seed hash but
    no header yet; each block in one SQLite transaction. Returns how many blocks were read."""
    ensure_tables(db)
    wanted = [r["n"] for r in db.query(
        "select distinct block as n from events where block <= ? and block not in "
        "(select number from blocks where timestamp is not null) union "
        "select number from blocks where timestamp is null and number <= ? order by n", [target, target])]
    hint = "the events are saved; run the audit again to finish"
    for number in wanted:
        block = read(f"reading block {number}", lambda: w3.eth.get_block(number, full_transactions=True), hint)
        receipts = read(f"reading the receipts of block {number}", lambda: w3.eth.get_block_receipts(number), hint)
        gas = {HexBytes(r["transactionHash"]).to_0x_hex(): (r["gasUsed"], r["status"]) for r in receipts}
        rows = []
        for tx in block["transactions"]:
            tx_hash = HexBytes(tx["hash"]).to_0x_hex()
            selector, function = function_name(contract, tx.get("to"), contract.address, bytes(tx["input"]))
            used, status = gas.get(tx_hash, (None, None))
            rows.append({"hash": tx_hash, "block": number, "tx_index": tx["transactionIndex"], "sender": tx["from"],
                         "target": tx.get("to"), "value": str(tx["value"]), "selector": selector,
                         "function": function, "gas_used": used, "status": status})
        with db.atomic():
            db["blocks"].upsert({"number": number, "hash": HexBytes(block["hash"]).to_0x_hex(),
                                 "parent_hash": HexBytes(block["parentHash"]).to_0x_hex(),
                                 "timestamp": block["timestamp"], "tx_count": len(rows)}, pk="number")
            if rows:
                db["transactions"].insert_all(rows, pk="hash", replace=True)
    return len(wanted)
