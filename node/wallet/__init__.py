"""Wallet: encrypted keystores, balances, staking and reward withdrawals.

The node unlocks its signing key with `load_account(home, name, resolve_password(name, password_file))`.
"""
from .keystore import WalletError, WalletNotFound, WrongPassword, list_wallets, load_account
from .password import PasswordUnavailable, resolve_password

__all__ = ["PasswordUnavailable", "WalletError", "WalletNotFound", "WrongPassword", "list_wallets",
           "load_account", "resolve_password"]
