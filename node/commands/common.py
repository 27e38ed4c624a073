"""Options and error handling every command group shares (the wallet group defines them; reuse, not retype)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from eth_account.signers.local import LocalAccount

from node.wallet.cli import (  # noqa: F401  (re-exported for the other command groups)
    DeploymentOpt,
    HomeOpt,
    JsonOpt,
    PasswordFileOpt,
    RpcOpt,
    WalletOpt,
    _home as resolve_home,
    _pick_wallet,
    _print_json as print_json,
    _unlock,
    user_errors,
)

DevAccountOpt = Annotated[Optional[int], typer.Option(
    "--dev-account", help="use anvil dev account N (PUBLIC key): local devnet only, never a real chain")]


def signing_account(home: Path, wallet: str | None, dev_account_index: int | None,
                    password_file: Path | None) -> LocalAccount:
    """The key a command signs with: a keystore wallet, or, only when asked for explicitly, a dev account."""
    if dev_account_index is not None:
        if wallet:
            raise ValueError("choose one of --wallet and --dev-account")
        from node.chain.devaccounts import dev_account

        return dev_account(dev_account_index)
    return _unlock(home, _pick_wallet(home, wallet), password_file)
