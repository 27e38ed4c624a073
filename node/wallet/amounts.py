"""ETH amounts: parse what a user types, print what a user reads. Arithmetic is always in wei (int)."""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_UP, Decimal, InvalidOperation

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
    return f"{eth_decimal(wei)} ETH"


def eth_decimal(wei: int) -> str:
    """1500000000000000000 -> '1.5': the exact decimal ETH string JSON output carries beside the wei."""
    return _decimal(wei, 18)


def format_gwei(wei: int) -> str:
    """1875000000 -> '1.875 gwei': gas prices are read in gwei, as wallets and explorers show them."""
    return f"{_decimal(wei, 9)} gwei"


def _decimal(value: int, decimals: int) -> str:
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**decimals)
    frac_text = f"{frac:0{decimals}d}".rstrip("0")
    return f"{sign}{whole}{'.' + frac_text if frac_text else ''}"


def format_eth_rounded(wei: int, digits: int = 6, up: bool = False) -> str:
    """wei as ETH to `digits` significant digits, for previews: 417515489105116 -> '0.000417515 ETH'.

    `up` rounds away from zero (a maximum that must not be understated); otherwise towards zero (a minimum).
    """
    if wei == 0:
        return "0 ETH"
    value = Decimal(wei) / WEI_PER_ETH
    exponent = max(value.adjusted() - digits + 1, -18)
    rounded = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_UP if up else ROUND_DOWN)
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} ETH"
