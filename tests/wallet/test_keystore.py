"""Keystores: file layout and permissions, passwords, imports, and interop with the real `cast wallet`."""
from __future__ import annotations

import json
import stat
import subprocess

import pytest
from eth_account import Account

from node.chain.anvil import foundry_binary
from node.chain.devaccounts import dev_account
from node.wallet.keystore import WrongPassword, load_account, wallet_path
from node.wallet.password import PasswordUnavailable, resolve_password

KEY = "0x" + "11" * 32
KEY_ADDRESS = Account.from_key(KEY).address


def cast(*args: str) -> str:
    done = subprocess.run([str(foundry_binary("cast")), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_new_wallet_is_a_private_v3_keystore(cli, home):
    result = cli(["new", "alice", "--home", home], password="pw-alice")
    assert result.exit_code == 0, result.output
    path = wallet_path(home, "alice")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = json.loads(path.read_text())
    assert data["version"] == 3 and data["crypto"]["kdf"] == "scrypt"
    assert "pw-alice" not in path.read_text()
    account = load_account(home, "alice", "pw-alice")
    assert account.address in result.output
    assert cli(["address", "alice", "--home", home]).output.strip() == account.address
    listed = json.loads(cli(["list", "--home", home, "--json"]).output)
    assert listed == [{"name": "alice", "address": account.address, "path": str(path)}]


def test_new_refuses_to_overwrite(cli, home):
    assert cli(["new", "alice", "--home", home], password="pw").exit_code == 0
    before = wallet_path(home, "alice").read_bytes()
    result = cli(["new", "alice", "--home", home], password="pw")
    assert result.exit_code == 1 and "already exists" in result.output
    assert wallet_path(home, "alice").read_bytes() == before


def test_wrong_password_is_one_clear_line(cli, home):
    assert cli(["import", "bob", "--home", home], password="right", input=KEY + "\n").exit_code == 0
    before = wallet_path(home, "bob").read_bytes()
    with pytest.raises(WrongPassword, match="wrong password for wallet bob"):
        load_account(home, "bob", "wrong")
    # importing a keystore with the wrong password writes nothing
    result = cli(["import", "bob2", "--keystore", wallet_path(home, "bob"), "--home", home], password="wrong")
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: wrong password for wallet bob2")
    assert "Traceback" not in result.output
    assert not wallet_path(home, "bob2").exists()
    assert wallet_path(home, "bob").read_bytes() == before


def test_missing_keystore_lists_what_exists(cli, home):
    cli(["new", "alice", "--home", home], password="pw")
    result = cli(["address", "carol", "--home", home])
    assert result.exit_code == 1
    assert "no wallet named 'carol'" in result.output and "alice" in result.output


def test_private_key_from_stdin_never_from_argv(cli, home):
    result = cli(["import", "bob", "--home", home], password="pw", input=KEY + "\n")
    assert result.exit_code == 0, result.output
    assert KEY[2:] not in result.output
    assert load_account(home, "bob", "pw").address == KEY_ADDRESS
    assert cli(["import", "eve", "--home", home], password="pw", input="not-a-key\n").exit_code == 1
    assert not wallet_path(home, "eve").exists()


def test_anvil_index_import_warns_loudly(cli, home):
    result = cli(["import", "dev0", "--anvil-index", "0", "--home", home], password="pw")
    assert result.exit_code == 0
    assert "PUBLIC" in result.output and "local testing only" in result.output
    assert load_account(home, "dev0", "pw").address == dev_account(0).address


def test_password_sources(tmp_path, monkeypatch):
    secret = tmp_path / "pw.txt"
    secret.write_text("from-file\n")
    monkeypatch.setenv("GRADCHAIN_PASSWORD", "from-env")
    assert resolve_password("w", secret) == "from-file"
    assert resolve_password("w") == "from-env"
    monkeypatch.delenv("GRADCHAIN_PASSWORD")
    answers = iter(["typed", "typed"])
    assert resolve_password("w", confirm=True, interactive=True, prompt=lambda _: next(answers)) == "typed"
    answers = iter(["typed", "typo"])
    with pytest.raises(PasswordUnavailable, match="differ"):
        resolve_password("w", confirm=True, interactive=True, prompt=lambda _: next(answers))
    with pytest.raises(PasswordUnavailable, match="--password-file"):
        resolve_password("w", interactive=False)


def test_password_file_option(cli, home, tmp_path):
    secret = tmp_path / "pw.txt"
    secret.write_text("file-secret\n")
    assert cli(["new", "alice", "--home", home, "--password-file", secret]).exit_code == 0
    assert load_account(home, "alice", "file-secret")


def test_cast_reads_a_gradchain_keystore(cli, home):
    assert cli(["import", "bob", "--home", home], password="pw", input=KEY + "\n").exit_code == 0
    out = cast("wallet", "address", "--keystore", str(wallet_path(home, "bob")), "--password", "pw")
    assert out.strip().lower() == KEY_ADDRESS.lower()
    # cast's own keystore-dir view of the wallet directory sees it under the same name
    assert "bob" in cast("wallet", "list", "--dir", str(wallet_path(home, "bob").parent))


def test_gradchain_reads_cast_keystores(cli, home, tmp_path):
    cast_dir = tmp_path / "cast-keystores"
    cast_dir.mkdir()
    cast("wallet", "import", "carol", "--private-key", KEY, "--keystore-dir", str(cast_dir), "--unsafe-password", "pw")
    new_out = cast("wallet", "new", str(cast_dir), "--unsafe-password", "pw2")
    fresh_file = next(p for p in cast_dir.iterdir() if p.name != "carol")
    fresh_address = next(line.split()[-1] for line in new_out.splitlines() if line.startswith("Address"))

    result = cli(["import", "carol", "--keystore", cast_dir / "carol", "--home", home], password="pw")
    assert result.exit_code == 0, result.output
    assert load_account(home, "carol", "pw").address == KEY_ADDRESS
    assert cli(["import", "fresh", "--keystore", fresh_file, "--home", home], password="pw2").exit_code == 0
    assert load_account(home, "fresh", "pw2").address.lower() == fresh_address.lower()

    # a cast keystore dropped straight into the wallet directory (no address field) also works
    cast("wallet", "import", "direct", "--private-key", KEY, "--keystore-dir", str(wallet_path(home, "x").parent),
         "--unsafe-password", "pw")
    assert cli(["address", "direct", "--home", home], password="pw").output.strip() == KEY_ADDRESS
    wrong = cli(["address", "direct", "--home", home], password="nope")
    assert wrong.exit_code == 1 and "wrong password for wallet direct (keystore MAC mismatch)" in wrong.output


def test_installed_entry_point_reports_errors_without_traceback(tmp_path):
    """The real `gradchain` program (as users run it): a wrong password is one line and exit code 1."""
    import os
    import sys
    from pathlib import Path

    gradchain = Path(sys.executable).parent / "gradchain"
    env = {**os.environ, "GRADCHAIN_KDF_N": "1024", "GRADCHAIN_HOME": str(tmp_path), "GRADCHAIN_PASSWORD": "pw"}
    made = subprocess.run([str(gradchain), "wallet", "import", "bob"], input=KEY + "\n", env=env,
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert KEY[2:] not in made.stdout + made.stderr
    env["GRADCHAIN_PASSWORD"] = "wrong"
    wrong = subprocess.run([str(gradchain), "wallet", "import", "bob2", "--keystore", str(tmp_path / "wallets" / "bob")],
                           env=env, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("error: wrong password for wallet bob2")
    assert "Traceback" not in wrong.stderr and "wrong" not in wrong.stdout
