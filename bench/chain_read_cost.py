"""CPU per chain read: web3's stock HTTPProvider against the node's transport, in one run (issue 15).

    .venv/bin/python bench/chain_read_cost.py [--reps 400]

A real anvil and a deployed LedgerV2. Each line is the median over 5 passes of the CPU (process time: the client's
side only) per read, and the ratio to the stock provider's. "follower poll" is what a node's event follower asks
each poll: before, three web3 calls (eth_blockNumber, the block after the cursor, its logs) and a fourth when
nothing was new (the cursor's block); now one batched POST of all four (node/chain/raw_reads.py).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web3 import Web3  # noqa: E402
from web3.types import RPCEndpoint  # noqa: E402

from node.chain.anvil import Anvil  # noqa: E402
from node.chain.client import Ledger, connect  # noqa: E402
from node.chain.devaccounts import dev_account  # noqa: E402
from node.chain.raw_reads import RawReads  # noqa: E402
from node.chain.v2.deploy import deploy_ledger_v2  # noqa: E402


def cpu_ms(fn, reps: int) -> float:
    passes = []
    for _ in range(5):
        t = time.process_time()
        for _ in range(reps):
            fn()
        passes.append((time.process_time() - t) / reps * 1e3)
    return statistics.median(passes)


def stock_web3(url: str) -> Web3:
    """web3 as node/chain/client.py built it before: HTTPProvider (requests), chain id cached, every middleware."""
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 10}, cache_allowed_requests=True,
                                  cacheable_requests={RPCEndpoint("eth_chainId")}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=400)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        anvil = Anvil(log_path=Path(tmp) / "anvil.log")
        anvil.start()
        try:
            lean = connect(anvil.url)
            ledger, receipt = deploy_ledger_v2(lean, dev_account(0), unbonding_delay_blocks=5, seat_stake_wei=10**17)
            stock = Ledger(stock_web3(anvil.url), ledger.address, ledger.artifact)
            cursor = receipt["blockNumber"]
            reads = RawReads.of(lean, ledger.address)

            def web3_poll(ledger_: Ledger):
                w3 = ledger_.w3
                w3.eth.block_number
                w3.eth.get_block(cursor)
                w3.eth.get_block(cursor + 1) if w3.eth.block_number > cursor else None
                ledger_.events(cursor, cursor)

            rows = [
                ("eth_blockNumber", lambda: stock.w3.eth.block_number, lambda: lean.eth.block_number),
                ("eth_call (seatStake)", lambda: stock.call("seatStake"), lambda: ledger.call("seatStake")),
                ("follower poll", lambda: web3_poll(stock), lambda: reads.probe(cursor)),
            ]
            print(f"bench/chain_read_cost: CPU per read, ms (median of 5 passes of {a.reps}); anvil at {anvil.url}")
            print(f"  {'read':<22} {'web3 stock':>10} {'node':>8} {'node/stock':>11}")
            for name, before, after in rows:
                b, n = cpu_ms(before, a.reps), cpu_ms(after, a.reps)
                print(f"  {name:<22} {b:>10.3f} {n:>8.3f} {n / b:>11.3f}")
        finally:
            anvil.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
