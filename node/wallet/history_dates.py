"""`wallet history` as a person reads a bank statement: when each entry happened (its block's time, in UTC) and
what each transaction the address itself sent cost in gas (gasUsed x effectiveGasPrice, from its receipt).

The entries come from history_v2.py (ledger events); this file only adds the dates and the gas.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from web3 import Web3

from .amounts import eth_decimal
from .history_v2 import HistoryEntry

TEXT_TIME = "%Y-%m-%d %H:%M:%S UTC"
ISO_TIME = "%Y-%m-%dT%H:%M:%SZ"  # ISO-8601, UTC


@dataclass(frozen=True)
class DatedEntry:
    entry: HistoryEntry
    time: datetime  # the block's timestamp, UTC
    # Gas this address paid for the entry's transaction: set on the first entry of each transaction it sent
    # (a stake that registers a seat is one transaction, two entries), None otherwise.
    gas_paid_wei: int | None

    @property
    def time_text(self) -> str:
        return self.time.strftime(TEXT_TIME)

    def to_json(self) -> dict[str, Any]:
        data = self.entry.to_json()
        data["amount_eth"] = eth_decimal(self.entry.amount_wei)
        data["time"] = self.time.strftime(ISO_TIME)
        if self.gas_paid_wei is not None:
            data["gas_paid_wei"] = str(self.gas_paid_wei)
            data["gas_paid_eth"] = eth_decimal(self.gas_paid_wei)
        return data


@dataclass(frozen=True)
class DatedHistory:
    address: str
    entries: list[DatedEntry]

    @property
    def gas_paid_wei(self) -> int:
        return sum(e.gas_paid_wei or 0 for e in self.entries)

    @property
    def transactions_sent(self) -> int:
        return sum(1 for e in self.entries if e.gas_paid_wei is not None)

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "entries": [e.to_json() for e in self.entries],
                "gas_paid_wei": str(self.gas_paid_wei), "gas_paid_eth": eth_decimal(self.gas_paid_wei),
                "transactions_sent": self.transactions_sent}


def date_history(w3: Web3, address: str, entries: list[HistoryEntry]) -> DatedHistory:
    """Each entry with its block's time and, once per transaction `address` sent, the gas it paid."""
    address = Web3.to_checksum_address(address)
    times: dict[int, datetime] = {}
    seen: set[str] = set()
    dated = []
    for e in entries:
        if e.block not in times:
            stamp = w3.eth.get_block(e.block)["timestamp"]
            times[e.block] = datetime.fromtimestamp(int(stamp), tz=timezone.utc)
        gas = None
        if e.tx_hash not in seen:
            seen.add(e.tx_hash)
            receipt = w3.eth.get_transaction_receipt(e.tx_hash)
            if Web3.to_checksum_address(receipt["from"]) == address:
                gas = int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
        dated.append(DatedEntry(entry=e, time=times[e.block], gas_paid_wei=gas))
    return DatedHistory(address=address, entries=dated)
