"""Earnings net of gas over the node's running time, only from what the chain finalized: Credited events (rewards
and fees are credited when a claim is finalized, slash shares when a dispute is resolved) less Slashed events
against this node, less the gas its own mined transactions paid. Pure: fed one amount at a time."""
from __future__ import annotations

from dataclasses import dataclass

from ..wallet.amounts import WEI_PER_ETH
from .money import eth_text
from .progress import duration

HOUR_S, DAY_S = 3600.0, 86400.0


@dataclass
class Earnings:
    started_at: float  # wall time the node started
    credited_wei: int = 0
    slashed_wei: int = 0
    gas_wei: int = 0
    transactions: int = 0

    def credit(self, wei: int) -> None:
        self.credited_wei += int(wei)

    def slash(self, wei: int) -> None:
        self.slashed_wei += int(wei)

    def gas(self, wei: int) -> None:
        self.gas_wei += int(wei)
        self.transactions += 1

    @property
    def net_wei(self) -> int:
        return self.credited_wei - self.slashed_wei - self.gas_wei

    def per_second_wei(self, now: float) -> float:
        elapsed = max(now - self.started_at, 1.0)  # a node up for less than a second has no rate to speak of
        return self.net_wei / elapsed

    def summary(self, now: float) -> dict:
        """The net_earnings block of /status: named fields, ETH as numbers and exact wei as strings."""
        rate = self.per_second_wei(now)
        return {"credited_eth": self.credited_wei / WEI_PER_ETH, "slashed_eth": self.slashed_wei / WEI_PER_ETH,
                "gas_paid_eth": self.gas_wei / WEI_PER_ETH, "net_eth": self.net_wei / WEI_PER_ETH,
                "net_per_hour_eth": rate * HOUR_S / WEI_PER_ETH, "net_per_day_eth": rate * DAY_S / WEI_PER_ETH,
                "running_seconds": round(now - self.started_at, 1), "transactions": self.transactions,
                "credited_wei": str(self.credited_wei), "slashed_wei": str(self.slashed_wei),
                "gas_paid_wei": str(self.gas_wei), "net_wei": str(self.net_wei),
                "basis": "finalized credits less slashes and own gas, since this node started"}


def earnings_text(summary: dict) -> str:
    """One line: '+0.35 ETH/hour, +8.4 ETH/day net of gas (0.1 ETH credited, 0.0004 ETH gas, 17 min 03 s)'."""
    per_hour = eth_text(int(round(summary["net_per_hour_eth"] * WEI_PER_ETH)), signed=True)
    per_day = eth_text(int(round(summary["net_per_day_eth"] * WEI_PER_ETH)), signed=True)
    slashed = int(summary["slashed_wei"])
    parts = [f"{eth_text(int(summary['credited_wei']))} credited"]
    if slashed:
        parts.append(f"{eth_text(slashed)} slashed")
    parts.append(f"{eth_text(int(summary['gas_paid_wei']))} gas")
    parts.append(f"over {duration(summary['running_seconds'])}")
    return f"{per_hour}/hour, {per_day}/day net of gas ({', '.join(parts)})"
