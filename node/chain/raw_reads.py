"""The event follower's reads, as raw JSON-RPC batches: one POST a poll instead of three web3 calls.

A node polls the chain a few times a block. Through web3 each poll was eth_blockNumber, eth_getBlockByNumber and
eth_getLogs at about 1.0-1.5 ms of CPU each; `probe` asks all it needs for the common case (nothing new, or one new
block) in one batch that costs about 0.25 ms (bench/chain_read_cost.py). Logs come back raw; `web3_log` gives them
the shape web3's event decoder takes, so events are decoded by the contract's ABI exactly as web3's get_logs would.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from hexbytes import HexBytes
from web3 import Web3

from .transport import RpcTransport


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str  # 0x-hex, lower case
    parent_hash: str


@dataclass(frozen=True)
class Probe:
    """One poll's view of the chain: its head, the block at the cursor, the block after it and that block's logs."""

    latest: int
    at_cursor: BlockHeader | None  # None: the chain holds no block at the cursor (it went back)
    after_cursor: BlockHeader | None  # None: not mined yet
    logs_after_cursor: list[dict] | None  # raw logs of the ledger in the block after the cursor (None: not read)


def _header(block: dict | None) -> BlockHeader | None:
    if block is None:
        return None
    return BlockHeader(int(block["number"], 16), block["hash"].lower(), block["parentHash"].lower())


def web3_log(raw: dict) -> dict:
    """A raw eth_getLogs entry in the shape web3's get_logs returns (what ContractEvent.process_log takes)."""
    return {"address": Web3.to_checksum_address(raw["address"]),
            "topics": [HexBytes(t) for t in raw["topics"]],
            "data": HexBytes(raw["data"]),
            "blockNumber": int(raw["blockNumber"], 16),
            "blockHash": HexBytes(raw["blockHash"]),
            "transactionHash": HexBytes(raw["transactionHash"]),
            "transactionIndex": int(raw["transactionIndex"], 16),
            "logIndex": int(raw["logIndex"], 16),
            "removed": bool(raw.get("removed", False))}


class RawReads:
    def __init__(self, transport: RpcTransport, address: str, count: Callable[[str], None] | None = None):
        self.transport = transport
        self.address = Web3.to_checksum_address(address)
        self.count = count or (lambda method: None)  # told each request's method (a node's /status counts them)

    @classmethod
    def of(cls, w3: Web3, address: str, count: Callable[[str], None] | None = None) -> "RawReads":
        """On the web3's own transport when it has one (node/chain/client.py's connect), else a new one."""
        transport = getattr(w3.provider, "transport", None)
        if not isinstance(transport, RpcTransport):
            transport = RpcTransport(str(w3.provider.endpoint_uri))
        return cls(transport, address, count)

    def _batch(self, calls: list[tuple[str, list]], optional: frozenset[int] = frozenset()) -> list:
        for method, _ in calls:
            self.count(method)
        return self.transport.batch(calls, optional)

    def probe(self, cursor: int) -> Probe:
        after = hex(cursor + 1)
        latest, at_cursor, after_cursor, logs = self._batch([
            ("eth_blockNumber", []),
            ("eth_getBlockByNumber", [hex(max(cursor, 0)), False]),
            ("eth_getBlockByNumber", [after, False]),
            ("eth_getLogs", [{"address": self.address, "fromBlock": after, "toBlock": after}]),
        ], optional=frozenset({3}))  # a block not mined yet has no logs: an error answer from some nodes (anvil)
        return Probe(int(latest, 16), _header(at_cursor), _header(after_cursor), logs)

    def latest(self) -> int:
        return int(self._batch([("eth_blockNumber", [])])[0], 16)

    def block(self, number: int) -> BlockHeader | None:
        return _header(self._batch([("eth_getBlockByNumber", [hex(number), False])])[0])

    def logs(self, first: int, last: int) -> list[dict]:
        return self._batch([("eth_getLogs", [{"address": self.address, "fromBlock": hex(first),
                                              "toBlock": hex(last)}])])[0] or []


READS = ("probe", "latest", "block", "logs")  # the methods that talk to the chain (a node charges them to "chain")
