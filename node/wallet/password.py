"""Where a keystore password comes from: `--password-file`, then $GRADCHAIN_PASSWORD, then a hidden prompt.

The password is only ever held in memory: never written to disk, never logged, never echoed.
"""
from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Callable

from node.config import PASSWORD_ENV

from .keystore import WalletError


class PasswordUnavailable(WalletError):
    pass


def read_password_file(path: Path) -> str:
    """The file's first line, without its line ending (like geth's and cast's --password-file)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise PasswordUnavailable(f"cannot read password file {path}: {exc.strerror or exc}") from None
    lines = text.splitlines()
    password = lines[0] if lines else ""
    if not password:
        raise PasswordUnavailable(f"password file {path} is empty")
    return password


def resolve_password(
    wallet_name: str,
    password_file: Path | None = None,
    *,
    confirm: bool = False,
    interactive: bool | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> str:
    """The password for `wallet_name`: from the file, else the environment, else asked for (twice if `confirm`)."""
    if password_file is not None:
        return read_password_file(password_file)
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if interactive is None:
        interactive = sys.stdin.isatty()
    if not interactive:
        raise PasswordUnavailable(
            f"no password for wallet {wallet_name}: no terminal to prompt on; "
            f"pass --password-file FILE or set {PASSWORD_ENV}"
        )
    password = prompt(f"Password for wallet {wallet_name}: ")
    if not password:
        raise PasswordUnavailable("empty password")
    if confirm and prompt(f"Repeat password for wallet {wallet_name}: ") != password:
        raise PasswordUnavailable("the two passwords differ; nothing was written")
    return password
