"""The preview and the confirmation before a wallet command signs, through the real `gradchain` program on a
pseudo-terminal (tests/pty_session.py): `n` signs nothing, `y` sends exactly what was shown; without a terminal
only --yes signs; a revert at estimation is named. Also the keystore password at the prompt (a typo is asked
again, naming the keystore) and from the environment or a file (fails at once, naming the source), and the one
line every command gives when nothing answers at the RPC URL."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from node.api.server import free_port
from node.chain.v2.views import Role
from node.wallet.amounts import format_eth_rounded
from node.wallet.keystore import wallet_path
from node.wallet.password import shown_path
from pty_session import run_in_pty

from v2_wallet_helpers import ETH, PASSWORD, new_funded_wallet

GRADCHAIN = str(Path(sys.executable).parent / "gradchain")
CONFIRM = r"Sign and send\? \[y/N\]"


def wallet_in_pty(home, *args, answers, password: str | None = PASSWORD):
    """`gradchain wallet ARGS --home HOME` on a pty, answering prompts in order: (status, plain output)."""
    env = {k: v for k, v in os.environ.items() if k != "GRADCHAIN_PASSWORD"}
    if password is not None:
        env["GRADCHAIN_PASSWORD"] = password
    return run_in_pty([GRADCHAIN, "wallet", *args, "--home", str(home)], answers=answers, env=env, timeout_s=120)


def test_answering_n_signs_nothing(cli, home, w3, ledger):
    nina = new_funded_wallet(cli, home, w3, "nina")
    nonce = w3.eth.get_transaction_count(nina.address)
    status, out = wallet_in_pty(home, "stake", "--role", "worker", "1", "--wallet", "nina", answers=[(CONFIRM, "n")])
    assert status == 1, out
    assert "Transaction preview (nothing is signed yet)" in out and "stake(role=worker)" in out
    assert "not confirmed: nothing was signed" in out
    assert w3.eth.get_transaction_count(nina.address) == nonce
    assert ledger.stake(nina.address, Role.WORKER).active == 0


def _figure(pattern: str, out: str) -> str:
    match = re.search(pattern, out)
    assert match, f"no {pattern!r} in:\n{out}"
    return match.group(1)


def test_answering_y_sends_exactly_what_the_preview_showed(cli, home, w3, ledger):
    yann = new_funded_wallet(cli, home, w3, "yann")
    before = w3.eth.get_balance(yann.address)
    status, out = wallet_in_pty(home, "stake", "--role", "verifier", "1", "--wallet", "yann",
                                answers=[(CONFIRM, "y")])
    assert status == 0, out
    assert out.count("Sign and send?") == 1
    tx_hash = _figure(r"tx (0x[0-9a-f]{64}) in block", out)
    tx, receipt = w3.eth.get_transaction(tx_hash), w3.eth.get_transaction_receipt(tx_hash)
    estimated = int(_figure(r"gas +([\d,]+) estimated", out).replace(",", ""))
    limit = int(_figure(r"estimated \(limit ([\d,]+)\)", out).replace(",", ""))
    max_gwei = Decimal(_figure(r"at most ([\d.]+) gwei", out))

    assert f"from          {yann.address} (wallet yann)" in out and "value      1 ETH" in out
    assert (tx["from"], tx["to"], tx["value"]) == (yann.address, ledger.address, ETH)
    # signed with exactly the gas limit and max fee per gas shown
    assert tx["gas"] == limit and Decimal(tx["maxFeePerGas"]) == max_gwei * 10**9
    assert f"max fee       {format_eth_rounded(limit * tx['maxFeePerGas'], up=True)}" in out
    # eth_estimateGas is an upper bound of what the call uses, within a few percent here (refunds, 63/64 rule)
    assert receipt["gasUsed"] <= estimated <= receipt["gasUsed"] * 1.05, (estimated, receipt["gasUsed"])
    after = w3.eth.get_balance(yann.address)
    assert after == before - ETH - receipt["gasUsed"] * receipt["effectiveGasPrice"]
    at_least = Decimal(_figure(r"at least ([\d.]+) ETH", out)) * ETH
    about = Decimal(_figure(r"balance after about ([\d.]+) ETH", out)) * ETH
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    # "about" prices the estimate at the latest block's base fee, which falls in the next, near-empty block:
    # it is within a quarter of the fee paid, plus the preview's rounding to 6 significant digits.
    assert at_least <= about <= after and after - about < fee // 4 + ETH // 10**5, (at_least, about, after, fee)
    assert ledger.stake(yann.address, Role.VERIFIER).active == ETH


def test_without_a_terminal_only_yes_signs(cli, home, w3, ledger):
    tina = new_funded_wallet(cli, home, w3, "tina")
    nonce = w3.eth.get_transaction_count(tina.address)
    env = {**os.environ, "GRADCHAIN_PASSWORD": PASSWORD}
    argv = [GRADCHAIN, "wallet", "stake", "--role", "worker", "0.5", "--wallet", "tina", "--home", str(home)]
    refused = subprocess.run(argv, stdin=subprocess.DEVNULL, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2, refused.stderr
    assert "not a terminal: pass --yes to sign without confirmation" in refused.stderr
    assert "nothing was signed" in refused.stderr and "Traceback" not in refused.stderr
    assert w3.eth.get_transaction_count(tina.address) == nonce

    signed = subprocess.run([*argv, "--yes"], stdin=subprocess.DEVNULL, env=env, capture_output=True, text=True,
                            timeout=120)
    assert signed.returncode == 0, signed.stderr
    assert "Transaction preview" in signed.stdout and "Sign and send?" not in signed.stdout + signed.stderr
    assert w3.eth.get_transaction_count(tina.address) == nonce + 1
    assert ledger.stake(tina.address, Role.WORKER).active == ETH // 2


def test_a_revert_at_estimation_is_named_and_nothing_is_signed(cli, home, w3, ledger):
    rich = new_funded_wallet(cli, home, w3, "rich", eth=1)
    cap = 2**80 - 1  # the ledger's stake cap: type(uint80).max
    w3.provider.make_request("anvil_setBalance", [rich.address, hex(cap + 10 * ETH)])
    nonce = w3.eth.get_transaction_count(rich.address)
    too_much = str(Decimal(cap + 1) / ETH)
    result = cli(["stake", "--role", "worker", too_much, "--wallet", "rich", "--home", home, "--yes"],
                 password=PASSWORD)
    assert result.exit_code == 1
    assert "stake reverted: StakeCapExceeded(" in result.stderr and f"cap={cap}" in result.stderr
    assert "Transaction preview" not in result.output and "Traceback" not in result.output
    assert w3.eth.get_transaction_count(rich.address) == nonce


def test_a_wrong_password_at_the_prompt_is_asked_again_naming_the_keystore(cli, home, w3, ledger):
    pat = new_funded_wallet(cli, home, w3, "pat")
    keystore = shown_path(wallet_path(home, "pat"))
    status, out = wallet_in_pty(home, "stake", "--role", "worker", "0.25", "--wallet", "pat", password=None,
                                answers=[("Password for wallet pat: ", "not-it"),
                                         ("2 tries left[\\s\\S]*Password for wallet pat: ", PASSWORD),
                                         (CONFIRM, "y")])
    assert status == 0, out
    assert f"wrong password for keystore {keystore}; 2 tries left" in out
    assert "not-it" not in out and PASSWORD not in out  # typed without echo
    assert ledger.stake(pat.address, Role.WORKER).active == ETH // 4

    status, out = wallet_in_pty(home, "stake", "--role", "worker", "0.25", "--wallet", "pat", password=None,
                                answers=[("Password for wallet pat: ", "a"), ("2 tries left[\\s\\S]*: ", "b"),
                                         ("1 try left[\\s\\S]*: ", "c")])
    assert status == 1, out
    assert f"3 wrong tries for keystore {keystore}" in out and "Sign and send" not in out
    assert ledger.stake(pat.address, Role.WORKER).active == ETH // 4


def test_a_wrong_password_from_the_environment_or_a_file_fails_at_once_naming_its_source(cli, home, w3, tmp_path):
    new_funded_wallet(cli, home, w3, "quinn")
    keystore = shown_path(wallet_path(home, "quinn"))
    from_env = cli(["stake", "--role", "worker", "0.1", "--wallet", "quinn", "--home", home, "--yes"],
                   password="nope")
    assert from_env.exit_code == 1
    assert f"the password from $GRADCHAIN_PASSWORD does not unlock keystore {keystore}" in from_env.stderr
    assert "tries left" not in from_env.output
    password_file = tmp_path / "pw.txt"
    password_file.write_text("nope\n")
    from_file = cli(["stake", "--role", "worker", "0.1", "--wallet", "quinn", "--home", home, "--yes",
                     "--password-file", password_file])
    assert from_file.exit_code == 1
    assert f"the password from --password-file {password_file} does not unlock keystore {keystore}" in \
        from_file.stderr


def test_an_unreachable_rpc_is_one_line_naming_the_url_and_the_way_out(cli, home, w3):
    new_funded_wallet(cli, home, w3, "ursula")
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    expected = f"error: cannot reach the chain at {url}: start one with `gradchain devnet up`, or pass --rpc URL"
    for args in (["balance", "ursula"], ["history", "ursula"],
                 ["stake", "--role", "worker", "1", "--wallet", "ursula", "--yes"],
                 ["send", "--to", w3.eth.accounts[0], "--amount", "1", "--dev-account", "1", "--yes"]):
        result = cli([*args, "--home", home, "--rpc", url], password=PASSWORD)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.strip() == expected, (args, result.stderr)
