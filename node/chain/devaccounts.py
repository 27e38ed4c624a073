"""anvil's well-known development accounts. DEV ONLY: these keys are public; never use them on a real chain."""
from __future__ import annotations

from eth_account import Account
from eth_account.signers.local import LocalAccount

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
ANVIL_CHAIN_ID = 31337
ANVIL_ACCOUNT_COUNT = 32  # node/chain/anvil.py starts anvil with this many funded accounts

Account.enable_unaudited_hdwallet_features()


def dev_account(index: int) -> LocalAccount:
    """The index-th funded anvil account (derivation path m/44'/60'/0'/0/index)."""
    if not 0 <= index < ANVIL_ACCOUNT_COUNT:
        raise ValueError(f"anvil dev account index must be 0..{ANVIL_ACCOUNT_COUNT - 1}, got {index}")
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
