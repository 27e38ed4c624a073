"""ETH amounts: parse what a user types, print what a user reads. Arithmetic is always in wei (int)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

WEI_PER_ETH = 10**18


def parse_eth(text: str) -> int:
    """'1.5' -> 1500000000000000000 wei; refuses negatives, zero and more than 18 decimals."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"amount {text!r} is not a number of ETH (example: 0.5)") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"amount {text!r} must be a positive number of ETH")
    wei = value * WEI_PER_ETH
    if wei != wei.to_integral_value():
        raise ValueError(f"amount {text!r} has more than 18 decimals (1 wei = 1e-18 ETH)")
    return int(wei)


def format_eth(wei: int) -> str:
    """1500000000000000000 -> '1.5 ETH' (exact: no float rounding)."""
    sign = "-" if wei < 0 else ""
    whole, frac = divmod(abs(wei), WEI_PER_ETH)
    frac_text = f"{frac:018d}".rstrip("0")
    return f"{sign}{whole}{'.' + frac_text if frac_text else ''} ETH"
