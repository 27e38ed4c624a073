"""`gradchain wallet send`: a plain ETH transfer, and the address check every `--to` goes through."""
from __future__ import annotations

import re

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import Web3

from .actions_v2 import TxResult, transfer_result
from .keystore import WalletError
from .preview import Gate, make_plan, plan_transfer, send_plan, sign_unasked

HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def parse_address(text: str, option: str = "--to") -> str:
    """A checksummed address from what a user typed: EIP-55 mixed case that checks out, or one case throughout."""
    raw = text.strip()
    if not HEX_ADDRESS.match(raw):
        raise WalletError(f"{option} {text!r} is not an address: expected 0x followed by 40 hex digits")
    body = raw[2:]
    checksummed = to_checksum_address(raw)
    # Mixed case is a checksum (EIP-55): a typo in it must not send ETH to some other address.
    if body != body.lower() and body != body.upper() and raw != checksummed:
        raise WalletError(f"{option} {raw} has a wrong EIP-55 checksum (mixed case that does not match): check it "
                          f"for a typo, or write it all in lowercase")
    if int(body, 16) == 0:
        raise WalletError(f"{option} {raw} is the zero address: ETH sent there is lost")
    return checksummed


def send_eth(w3: Web3, account: LocalAccount, to: str, amount_wei: int, gate: Gate = sign_unasked,
             abi: list | None = None) -> TxResult:
    """Send `amount_wei` to `to` once `gate` approves the preview; waits for the receipt."""
    plan = make_plan(w3, account.address, [plan_transfer(w3, account.address, to, amount_wei, abi)])
    gate(plan)
    (receipt,) = send_plan(w3, account, plan)
    return transfer_result(account, receipt, to, amount_wei)
