"""The devnet faucet (`gradchain devnet fund`): ETH from anvil's first dev account, whose key is public.

Only on a chain that answers with anvil's chain id: on any other chain the dev key holds nothing (or, worse,
something somebody else can also spend), and the command refuses before signing.
"""
from __future__ import annotations

from pathlib import Path

from eth_utils import is_address, to_checksum_address

from .chain.devaccounts import ANVIL_CHAIN_ID, dev_account
from .wallet.amounts import parse_eth
from .wallet.keystore import list_wallets
from .wallet.session import open_ledger

FAUCET_INDEX = 0  # the devnet's deployer: 10,000 ETH at genesis


def recipient_address(home: Path, recipient: str) -> tuple[str, str | None]:
    """(checksummed address, wallet name or None) for a 0x address or a wallet's name under `home`."""
    if recipient.startswith("0x"):
        if not is_address(recipient):
            raise ValueError(f"{recipient!r} is not an Ethereum address (expected 0x and 40 hex digits)")
        return to_checksum_address(recipient), None
    wallets = {w.name: w for w in list_wallets(home)}
    if recipient not in wallets:
        known = ", ".join(sorted(wallets)) or "none"
        raise ValueError(f"no wallet named {recipient!r} under {home} (wallets: {known}); give a 0x address or "
                         "create one with `gradchain wallet new NAME`")
    address = wallets[recipient].address
    if address is None:
        raise ValueError(f"wallet {recipient!r} records no address (a cast keystore): give its 0x address")
    return to_checksum_address(address), recipient


def fund_from_faucet(home: Path, recipient: str, eth: str, rpc: str | None = None,
                     deployment: Path | None = None) -> dict:
    amount = parse_eth(eth)  # refuses 0, negatives and more than 18 decimals, naming the amount
    address, wallet = recipient_address(home, recipient)
    w3 = open_ledger(home, rpc, deployment).ledger.w3
    chain_id = w3.eth.chain_id
    if chain_id != ANVIL_CHAIN_ID:
        raise ValueError(f"the chain at {w3.provider.endpoint_uri} has chain id {chain_id}, not a local devnet's "
                         f"({ANVIL_CHAIN_ID}): the faucet spends anvil's public dev key and runs on a devnet only")
    faucet = dev_account(FAUCET_INDEX)
    if w3.eth.get_balance(faucet.address) < amount:
        raise ValueError(f"--eth {eth}: the faucet account {faucet.address} holds less than that")
    tx = {"to": address, "value": amount, "nonce": w3.eth.get_transaction_count(faucet.address, "pending"),
          "gas": 21_000, "gasPrice": w3.eth.gas_price, "chainId": chain_id}
    tx_hash = w3.eth.send_raw_transaction(faucet.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    if receipt["status"] != 1:
        raise ValueError(f"the faucet transfer {tx_hash.to_0x_hex()} failed on chain")
    return {"address": address, "wallet": wallet, "amount_wei": amount, "tx_hash": tx_hash.to_0x_hex(),
            "balance_wei": w3.eth.get_balance(address)}
