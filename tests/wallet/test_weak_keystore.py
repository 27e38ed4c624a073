"""Importing a keystore whose KDF is weaker than gradchain's re-encrypts it (same key, same password) and
says so in one line; the file imported from is left exactly as it was. One as strong is kept as is."""
from __future__ import annotations

import json

import pytest
from eth_account import Account

from node.wallet.keystore import load_account, wallet_path

KEY = "0x" + "4c" * 32
TARGET_N = 2**12  # gradchain's cost for this test: above the weak file's, still fast


@pytest.fixture(autouse=True)
def _target(monkeypatch):
    monkeypatch.setenv("GRADCHAIN_KDF_N", str(TARGET_N))


def write(path, keystore) -> bytes:
    path.write_text(json.dumps(keystore))
    return path.read_bytes()


@pytest.mark.parametrize("kdf, iterations, had", [("scrypt", 2**10, "scrypt n=1024, r=8, p=1"),
                                                  ("pbkdf2", 1000, "pbkdf2 with 1000 iterations")])
def test_weak_keystore_is_reencrypted_with_gradchains_settings(cli, home, tmp_path, kdf, iterations, had):
    source = tmp_path / "weak.json"
    original = write(source, Account.encrypt(KEY, "pw", kdf=kdf, iterations=iterations))

    result = cli(["import", "alice", "--keystore", source, "--home", home], password="pw")
    assert result.exit_code == 0, result.output
    (note,) = [line for line in result.output.splitlines() if "re-encrypted" in line]
    assert note == (f"re-encrypted with gradchain's scrypt n={TARGET_N}, r=8, p=1 (the keystore had {had}, weaker); "
                    f"{source} itself is unchanged")

    stored = json.loads(wallet_path(home, "alice").read_text())
    assert stored["crypto"]["kdf"] == "scrypt"
    params = stored["crypto"]["kdfparams"]
    assert (params["n"], params["r"], params["p"]) == (TARGET_N, 8, 1)
    assert load_account(home, "alice", "pw").key.hex() == Account.from_key(KEY).key.hex()
    assert source.read_bytes() == original, "the imported-from file was modified"


def test_keystore_as_strong_as_ours_is_kept_as_is(cli, home, tmp_path):
    source = tmp_path / "strong.json"
    keystore = Account.encrypt(KEY, "pw", kdf="scrypt", iterations=TARGET_N)
    write(source, keystore)
    result = cli(["import", "bob", "--keystore", source, "--home", home], password="pw")
    assert result.exit_code == 0 and "re-encrypted" not in result.output, result.output
    stored = json.loads(wallet_path(home, "bob").read_text())
    assert stored["crypto"] == keystore["crypto"]
