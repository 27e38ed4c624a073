"""ETH as an operator reads it in one line: a few decimals, one unit (exact wei stays in /status's *_wei fields)."""
from __future__ import annotations

from ..wallet.amounts import WEI_PER_ETH, format_eth

DECIMALS = 4  # 0.0001 ETH: below a cent at any price this devnet's amounts will see
SIGNIFICANT = 3  # amounts under SMALL_WEI (gas on a devnet) keep this many significant digits instead
SMALL_WEI = WEI_PER_ETH // 1000


def rounded_wei(wei: int) -> int:
    """`wei` rounded (half away from zero) to DECIMALS decimals, or below SMALL_WEI to SIGNIFICANT digits."""
    magnitude = abs(wei)
    if magnitude >= SMALL_WEI:
        step = WEI_PER_ETH // 10**DECIMALS
    elif magnitude == 0:
        return 0
    else:
        step = 10 ** max(0, len(str(magnitude)) - SIGNIFICANT)
    rounded = (magnitude + step // 2) // step * step
    return rounded if wei >= 0 else -rounded


def eth_text(wei: int, signed: bool = False) -> str:
    """'0.0123 ETH'; signed: '+0.0123 ETH' / '-0.5 ETH' (a credit or a debit)."""
    text = format_eth(rounded_wei(int(wei)))
    if signed and int(wei) >= 0:
        return "+" + text
    return text
