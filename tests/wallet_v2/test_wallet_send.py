"""`gradchain wallet send` on a real devnet: exactly the amount arrives, the sender pays amount + the receipt's gas,
and a bad address, a balance short of amount + max gas, or a contract that refuses ETH signs nothing."""
from __future__ import annotations

import json

from eth_account import Account

from node.chain.devaccounts import dev_account

from v2_wallet_helpers import ETH, PASSWORD, new_funded_wallet


def test_send_delivers_exactly_the_amount_and_the_sender_pays_it_plus_the_receipts_gas(cli, home, w3):
    sam = new_funded_wallet(cli, home, w3, "sam", eth=2)
    recipient = Account.create().address
    before = w3.eth.get_balance(sam.address)

    sent = cli(["send", "--to", recipient.lower(), "--amount", "0.75", "--wallet", "sam", "--home", home,
                "--yes", "--json"], password=PASSWORD)
    assert sent.exit_code == 0, sent.output
    report = json.loads(sent.stdout)
    receipt = w3.eth.get_transaction_receipt(report["tx_hash"])
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(recipient) == 75 * ETH // 100
    assert w3.eth.get_balance(sam.address) == before - 75 * ETH // 100 - fee
    assert (report["to"], report["amount_wei"], report["fee_wei"]) == (recipient, str(75 * ETH // 100), str(fee))
    assert receipt["gasUsed"] == 21_000 and "Transaction preview" in sent.stderr  # --json: preview on stderr


def test_send_from_a_dev_account_with_a_checksummed_address_and_a_text_report(cli, home, w3):
    recipient = Account.create().address  # EIP-55 mixed case
    sent = cli(["send", "--to", recipient, "--amount", "1.5", "--dev-account", "6", "--home", home, "--yes"])
    assert sent.exit_code == 0, sent.output
    assert w3.eth.get_balance(recipient) == 15 * ETH // 10
    assert f"from          {dev_account(6).address} (dev account 6)" in sent.stdout
    assert f"sent 1.5 ETH from {dev_account(6).address} to {recipient}" in sent.stdout


def test_a_bad_address_is_refused_naming_it_and_nothing_is_signed(cli, home, w3):
    nonce = w3.eth.get_transaction_count(dev_account(6).address)
    good = Account.create().address
    while sum(c.isalpha() for c in good[2:]) < 2:  # one case flip must leave a mixed-case address
        good = Account.create().address
    letter = next(i for i, c in enumerate(good) if i > 1 and c.isalpha())
    # One letter in the wrong case: EIP-55 fixes every letter's case, so this is a checksum error (a typo).
    typo = good[:letter] + good[letter].swapcase() + good[letter + 1:]
    for bad, expected in [("0x1234", "expected 0x followed by 40 hex digits"),
                          ("alice", "expected 0x followed by 40 hex digits"),
                          (typo, "wrong EIP-55 checksum"),
                          ("0x" + "0" * 40, "zero address")]:
        result = cli(["send", "--to", bad, "--amount", "1", "--dev-account", "6", "--home", home, "--yes"])
        assert result.exit_code == 1, result.output
        assert bad in result.stderr and expected in result.stderr, result.stderr
        assert "Traceback" not in result.output
    assert w3.eth.get_transaction_count(dev_account(6).address) == nonce


def test_the_balance_must_cover_the_amount_plus_the_max_gas_cost(cli, home, w3):
    tess = new_funded_wallet(cli, home, w3, "tess", eth=1)
    nonce, balance = w3.eth.get_transaction_count(tess.address), w3.eth.get_balance(tess.address)
    result = cli(["send", "--to", Account.create().address, "--amount", "1", "--wallet", "tess", "--home", home,
                  "--yes"], password=PASSWORD)
    assert result.exit_code == 1
    message = result.stderr
    assert f"{tess.address} holds 1 ETH, less than the 1 ETH to send plus up to" in message, message
    assert "21,000 gas" in message and "nothing was signed" in message
    assert (w3.eth.get_transaction_count(tess.address), w3.eth.get_balance(tess.address)) == (nonce, balance)


def test_a_contract_that_refuses_plain_eth_is_found_at_estimation_and_nothing_is_signed(cli, home, w3, ledger):
    nonce = w3.eth.get_transaction_count(dev_account(6).address)
    result = cli(["send", "--to", ledger.address, "--amount", "1", "--dev-account", "6", "--home", home, "--yes"])
    assert result.exit_code == 1
    assert f"sending 1 ETH to {ledger.address} would revert" in result.stderr
    assert "does not accept plain ETH" in result.stderr and "nothing was signed" in result.stderr
    assert w3.eth.get_transaction_count(dev_account(6).address) == nonce


def test_send_needs_only_an_rpc_url_where_there_is_no_deployment_file(cli, home, w3, tmp_path):
    recipient = Account.create().address
    bare = tmp_path / "no-deployment-here"
    url = w3.provider.endpoint_uri
    sent = cli(["send", "--to", recipient, "--amount", "0.1", "--dev-account", "6", "--home", bare, "--rpc", url,
                "--yes"])
    assert sent.exit_code == 0, sent.output
    assert w3.eth.get_balance(recipient) == ETH // 10
    missing = cli(["send", "--to", recipient, "--amount", "0.1", "--dev-account", "6", "--home", bare, "--yes"])
    assert missing.exit_code == 1 and "deployment file" in missing.stderr and "not found" in missing.stderr
