"""Encrypted V3 keystores (eth-account, scrypt), one file per wallet, readable by its owner only.

A wallet named NAME lives in `wallet_dir(home)/NAME`, with no extension: that is exactly what
`cast wallet import NAME --keystore-dir DIR` writes, so `cast wallet list --dir DIR`, `cast ... --keystore
DIR/NAME` and gradchain all see the same wallets. The private key never touches the disk unencrypted.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from node.config import wallet_dir

KDF_N_ENV = "GRADCHAIN_KDF_N"  # TEST ONLY: a smaller scrypt cost so test suites run fast
DEFAULT_KDF_N = 2**18  # geth's and eth-account's "standard" scrypt cost: about 1 s to unlock
KDF_R, KDF_P = 8, 1  # scrypt's block size and parallelism, as eth-account writes them
PBKDF2_MIN_ITERATIONS = 1_000_000  # eth-account's own pbkdf2 default; fewer is weaker than it means to be
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FILE_MODE = 0o600
DIR_MODE = 0o700


class WalletError(Exception):
    """A wallet problem a user can fix; the message says which wallet and what to do."""


class WalletNotFound(WalletError):
    pass


class WalletExists(WalletError):
    pass


class WrongPassword(WalletError):
    pass


class BadKeystore(WalletError):
    pass


@dataclass(frozen=True)
class WalletInfo:
    name: str
    address: str | None  # None for a keystore written without an address field (cast does that)
    path: Path
    reencrypted_from: str | None = None  # the weaker KDF an imported keystore had, when it was re-encrypted


def kdf_n() -> int:
    """scrypt cost for new keystores: 2**18, unless $GRADCHAIN_KDF_N (tests only) asks for less."""
    raw = os.environ.get(KDF_N_ENV)
    if not raw:
        return DEFAULT_KDF_N
    n = int(raw)
    if n < 2 or n & (n - 1):
        raise WalletError(f"{KDF_N_ENV}={raw} must be a power of two (it is the scrypt cost; tests only)")
    return n


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise WalletError(
            f"invalid wallet name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def wallet_path(home: Path, name: str) -> Path:
    return wallet_dir(home) / check_name(name)


def _ensure_dir(home: Path) -> Path:
    directory = wallet_dir(home)
    directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(directory, DIR_MODE)
    return directory


def _write_private(path: Path, keystore: dict) -> None:
    """Write atomically with mode 600 from the first byte (never world-readable, even briefly)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w") as handle:
            json.dump(keystore, handle)
        if path.exists():
            raise WalletExists(f"wallet {path.name!r} already exists at {path}; choose another name")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read_keystore(path: Path, name: str) -> dict:
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise BadKeystore(f"wallet {name!r}: {path} is not a JSON keystore ({exc})") from None
    if not isinstance(data, dict) or "crypto" not in data and "Crypto" not in data:
        raise BadKeystore(f"wallet {name!r}: {path} is not a V3 keystore (no 'crypto' section)")
    return data


def _keystore_address(data: dict) -> str | None:
    address = data.get("address")
    if not address:
        return None
    try:
        return to_checksum_address(address if address.startswith("0x") else "0x" + address)
    except ValueError:
        return None


def _decrypt(data: dict, password: str, name: str) -> bytes:
    try:
        return bytes(Account.decrypt(data, password))
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise WrongPassword(f"wrong password for wallet {name} (keystore MAC mismatch)") from None
        raise BadKeystore(f"wallet {name!r}: cannot decrypt keystore: {exc}") from None


def create_wallet(home: Path, name: str, password: str, private_key: bytes | str | None = None) -> WalletInfo:
    """Encrypt a new random key (or the given one) into wallet NAME; refuses to overwrite."""
    path = wallet_path(home, name)
    if path.exists():
        raise WalletExists(f"wallet {name!r} already exists at {path}; choose another name")
    if not password:
        raise WalletError("refusing an empty password: a keystore is only as strong as its password")
    account = Account.from_key(private_key) if private_key is not None else Account.create()
    _ensure_dir(home)
    _write_private(path, Account.encrypt(account.key, password, kdf="scrypt", iterations=kdf_n()))
    return WalletInfo(name=name, address=account.address, path=path)


def weaker_kdf(data: dict) -> str | None:
    """How the keystore's KDF falls short of gradchain's (scrypt n=kdf_n(), r=8, p=1), or None if it does not.

    pbkdf2 counts as weaker only below PBKDF2_MIN_ITERATIONS; an unknown KDF is left to eth-account to refuse.
    """
    crypto = data.get("crypto") or data.get("Crypto") or {}
    kdf, params = crypto.get("kdf"), crypto.get("kdfparams") or {}
    try:
        if kdf == "scrypt":
            n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
            if n < kdf_n() or r < KDF_R or p < KDF_P:
                return f"scrypt n={n}, r={r}, p={p}"
        elif kdf == "pbkdf2" and int(params["c"]) < PBKDF2_MIN_ITERATIONS:
            return f"pbkdf2 with {int(params['c'])} iterations"
    except (KeyError, TypeError, ValueError):
        return None  # malformed parameters: decryption has already judged the file
    return None


def kdf_text() -> str:
    return f"scrypt n={kdf_n()}, r={KDF_R}, p={KDF_P}"


def import_keystore(home: Path, name: str, source: Path, password: str) -> WalletInfo:
    """Copy an existing V3 keystore (cast, geth, MetaMask export) in as NAME, after checking the password.

    The encrypted payload is kept as is (same KDF, same password), unless its KDF is weaker than gradchain's
    (weaker_kdf): then the key is re-encrypted with gradchain's settings and the same password, since a
    cheap KDF lets anyone holding the file guess passwords faster. The source file is never modified. A
    missing `address` field is filled in so `wallet list` can show it without a password.
    """
    path = wallet_path(home, name)
    if path.exists():
        raise WalletExists(f"wallet {name!r} already exists at {path}; choose another name")
    if not source.is_file():
        raise WalletNotFound(f"keystore file {source} not found")
    data = _read_keystore(source, name)
    account = Account.from_key(_decrypt(data, password, f"{name} (keystore {source})"))
    stored = _keystore_address(data)
    if stored is not None and stored != account.address:
        raise BadKeystore(f"keystore {source} says address {stored} but its key is {account.address}")
    weaker = weaker_kdf(data)
    if weaker is not None:
        data = Account.encrypt(account.key, password, kdf="scrypt", iterations=kdf_n())
    data["address"] = account.address[2:].lower()
    _ensure_dir(home)
    _write_private(path, data)
    return WalletInfo(name=name, address=account.address, path=path, reencrypted_from=weaker)


def list_wallets(home: Path) -> list[WalletInfo]:
    """Every keystore in the wallet directory, by name; unreadable files are skipped."""
    directory = wallet_dir(home)
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file() or not NAME_PATTERN.match(path.name):
            continue
        try:
            data = _read_keystore(path, path.name)
        except WalletError:
            continue
        found.append(WalletInfo(name=path.name, address=_keystore_address(data), path=path))
    return found


def open_keystore(home: Path, name: str) -> tuple[Path, dict]:
    path = wallet_path(home, name)
    if not path.is_file():
        known = ", ".join(w.name for w in list_wallets(home)) or "none"
        raise WalletNotFound(
            f"no wallet named {name!r} in {wallet_dir(home)} (wallets there: {known}); "
            "create one with `gradchain wallet new` or `gradchain wallet import`"
        )
    return path, _read_keystore(path, name)


def wallet_address(home: Path, name: str) -> str | None:
    """The address a keystore declares, without unlocking it (None when the file has no address field)."""
    _, data = open_keystore(home, name)
    return _keystore_address(data)


def load_account(home: Path, name: str, password: str) -> LocalAccount:
    """Unlock wallet NAME: the signing account the node and the wallet commands use."""
    _, data = open_keystore(home, name)
    account = Account.from_key(_decrypt(data, password, name))
    stored = _keystore_address(data)
    if stored is not None and stored != account.address:
        raise BadKeystore(f"wallet {name!r} declares address {stored} but its key is {account.address}")
    return account
