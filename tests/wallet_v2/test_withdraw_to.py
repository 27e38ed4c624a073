"""`gradchain wallet withdraw --to ADDRESS`: the ledger pays msg.sender only, so the credit is withdrawn to the
wallet and sent on, two transactions in one preview and one confirmation. Exactly the credit arrives; a second
transaction that would fail is found at estimation, before the first is signed."""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from eth_account import Account

from node.chain.devaccounts import dev_account
from node.wallet.amounts import format_eth
from pty_session import PtySession, plain, run_in_pty

from v2_wallet_helpers import ETH, PASSWORD, earn_reward, new_funded_wallet

GRADCHAIN = str(Path(sys.executable).parent / "gradchain")


def worker_with_credit(cli, home, w3, ledger, job_id, name: str):
    worker = new_funded_wallet(cli, home, w3, name)
    assert cli(["stake", "--role", "worker", "1", "--wallet", name, "--home", home, "--yes"],
               password=PASSWORD).exit_code == 0
    earn_reward(ledger, w3, worker, job_id)
    credit = ledger.credit(worker.address)
    assert credit == ledger.job_params(job_id).reward_per_claim > 0
    return worker, credit


def test_withdraw_to_another_address_in_one_confirmation_delivers_exactly_the_credit(cli, home, w3, ledger, job_id):
    wanda, credit = worker_with_credit(cli, home, w3, ledger, job_id, "wanda")
    cold = Account.create().address  # a fresh address: its balance is exactly what arrives
    before = w3.eth.get_balance(wanda.address)
    env = {**os.environ, "GRADCHAIN_PASSWORD": PASSWORD}
    status, out = run_in_pty([GRADCHAIN, "wallet", "withdraw", "--to", cold, "--wallet", "wanda", "--home", str(home)],
                             answers=[(r"Sign and send\? \[y/N\]", "y")], env=env, timeout_s=120)
    assert status == 0, out
    assert out.count("Sign and send?") == 1
    assert re.search(r"1\. to +the ledger .*withdraw\(\), paying this wallet its claimable credit of "
                     + re.escape(format_eth(credit)), out), out
    assert re.search(r"2\. to +plain ETH transfer to " + cold, out) and f"value      {format_eth(credit)}" in out
    assert f"{format_eth(credit)} arrived at {cold}" in out

    assert w3.eth.get_balance(cold) == credit
    assert ledger.credit(wanda.address) == 0
    hashes = re.findall(r"tx (0x[0-9a-f]{64}) in block", out)
    assert len(hashes) == 2
    receipts = [w3.eth.get_transaction_receipt(h) for h in hashes]
    fees = sum(r["gasUsed"] * r["effectiveGasPrice"] for r in receipts)
    assert w3.eth.get_balance(wanda.address) == before - fees  # in, then out again: only the gas stays spent
    assert receipts[0]["to"] == ledger.address and receipts[1]["to"] == cold


def test_a_forward_that_would_fail_signs_nothing_and_json_reports_both(cli, home, w3, ledger, job_id):
    walt, credit = worker_with_credit(cli, home, w3, ledger, job_id, "walt")
    signing = ["--wallet", "walt", "--home", home, "--yes"]
    nonce = w3.eth.get_transaction_count(walt.address)

    # The ledger itself takes no plain ETH: the second transaction's estimate reverts, so neither is signed.
    refused = cli(["withdraw", "--to", ledger.address, *signing], password=PASSWORD)
    assert refused.exit_code == 1
    assert "does not accept plain ETH" in refused.stderr and "nothing was signed" in refused.stderr
    own = cli(["withdraw", "--to", walt.address.lower(), *signing], password=PASSWORD)
    assert own.exit_code == 1 and "this wallet's own address" in own.stderr
    bad = cli(["withdraw", "--to", "0xnope", *signing], password=PASSWORD)
    assert bad.exit_code == 1 and "--to '0xnope' is not an address" in bad.stderr
    assert w3.eth.get_transaction_count(walt.address) == nonce and ledger.credit(walt.address) == credit

    friend = dev_account(8).address
    before = w3.eth.get_balance(friend)
    done = cli(["withdraw", "--to", friend, *signing, "--json"], password=PASSWORD)
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["arrived_wei"] == str(credit) and report["to"] == friend
    assert report["withdraw"]["amount_wei"] == str(credit) and report["send"]["amount_wei"] == str(credit)
    assert w3.eth.get_balance(friend) - before == credit
    assert ledger.credit(walt.address) == 0 and w3.eth.get_transaction_count(walt.address) == nonce + 2
    assert credit < ETH  # the reward, not the stake, moved


def test_when_the_forward_fails_after_the_withdrawal_it_says_the_eth_is_in_the_wallet(cli, home, w3, ledger, job_id):
    wes, credit = worker_with_credit(cli, home, w3, ledger, job_id, "wes")
    target = Account.create().address
    before = w3.eth.get_balance(wes.address)
    env = {**os.environ, "GRADCHAIN_PASSWORD": PASSWORD}
    session = PtySession([GRADCHAIN, "wallet", "withdraw", "--to", target, "--wallet", "wes", "--home", str(home)],
                         env=env)
    try:
        session.expect(r"Sign and send\? \[y/N\]", 120)
        # Between the preview and the signature, code that refuses ETH appears at the target (PUSH 0 PUSH 0
        # REVERT): the withdrawal goes through, the transfer on, signed for a plain address, fails when mined.
        w3.provider.make_request("anvil_setCode", [target, "0x60006000fd"])
        session.send("y")
        status = session.wait(120)
    finally:
        session.close()
    out = " ".join(plain(session.output).split())
    assert status == 1, out
    amount = format_eth(credit).removesuffix(" ETH")
    assert f"withdrew {format_eth(credit)} to {wes.address}" in out and f"sending it on to {target} failed" in out
    assert "The ETH is in the wallet" in out
    suggested = f"gradchain wallet send --to {target} --amount {amount} --wallet wes"
    assert suggested in out, out
    assert ledger.credit(wes.address) == 0 and w3.eth.get_balance(target) == 0
    hashes = re.findall(r"tx (0x[0-9a-f]{64})", out)  # the withdrawal's, then the failed transfer's
    receipts = [w3.eth.get_transaction_receipt(h) for h in dict.fromkeys(hashes)]
    assert [r["status"] for r in receipts] == [1, 0]
    fees = sum(r["gasUsed"] * r["effectiveGasPrice"] for r in receipts)
    assert w3.eth.get_balance(wes.address) == before + credit - fees  # the credit stayed in the wallet

    # The way out it names works once the target takes ETH again.
    w3.provider.make_request("anvil_setCode", [target, "0x"])
    again = cli([*suggested.split()[2:], "--home", home, "--yes"], password=PASSWORD)
    assert again.exit_code == 0, again.output
    assert w3.eth.get_balance(target) == credit
