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


PROMPT_TRIES = 3  # as sudo and ssh: a typo at the prompt costs a retry, not the command


def shown_path(path: Path) -> str:
    """The keystore path as a user would type it: ~/... under the home directory."""
    try:
        return "~/" + str(path.resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)


def unlock_account(
    home: Path,
    wallet_name: str,
    password_file: Path | None = None,
    *,
    interactive: bool | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
    tries: int = PROMPT_TRIES,
):
    """Wallet NAME's signing account. A wrong password typed at the prompt is asked again (up to `tries` times),
    naming the keystore file; one from --password-file or the environment fails at once, naming where it came from.
    """
    from .keystore import WrongPassword, load_account, open_keystore

    path, _ = open_keystore(home, wallet_name)  # a missing wallet is said before any password is asked for
    keystore = shown_path(path)
    if password_file is not None or os.environ.get(PASSWORD_ENV):
        source = f"--password-file {password_file}" if password_file is not None else f"${PASSWORD_ENV}"
        try:
            return load_account(home, wallet_name, resolve_password(wallet_name, password_file))
        except WrongPassword as exc:
            raise WrongPassword(f"{exc}: the password from {source} does not unlock keystore {keystore}") from None
    for attempt in range(1, tries + 1):
        password = resolve_password(wallet_name, interactive=interactive, prompt=prompt)
        try:
            return load_account(home, wallet_name, password)
        except WrongPassword:
            left = tries - attempt
            if left:
                print(f"wrong password for keystore {keystore}; {left} {'try' if left == 1 else 'tries'} left",
                      file=sys.stderr, flush=True)
    raise WrongPassword(f"wrong password for wallet {wallet_name} (keystore MAC mismatch): {tries} wrong tries "
                        f"for keystore {keystore}")
