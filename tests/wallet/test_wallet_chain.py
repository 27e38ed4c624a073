"""The wallet against a real anvil and the real ledger: stake, earn through a finished claim, withdraw.

Dev accounts (public anvil keys) play the job owner, the funder and the verifier; the worker is a wallet made
with `gradchain wallet new`, so its key only ever exists in its keystore.
"""
from __future__ import annotations

import json

import pytest
from web3 import Web3

from node.chain.client import Ledger, deploy_ledger
from node.chain.devaccounts import dev_account
from node.config import Deployment, deployment_path
from node.wallet.keystore import load_account

WORKER, VERIFIER = 1, 2
PASSWORD = "worker-pass"
UNBONDING_DELAY = 20
REWARD = Web3.to_wei(0.25, "ether")
FEE = Web3.to_wei(0.01, "ether")
MIN_STAKE = Web3.to_wei(1, "ether")
GENESIS = b"\x01" * 32


def job_params(quorum: int = 1, max_votes: int = 1) -> tuple:
    # (specHash, genesisHead, rewardPerClaim, verifierFee, quorum, maxVotes, submitWindow, verifyWindow,
    #  minWorkerStake, minVerifierStake, workerSlash, verifierSlash)
    return (b"\x5e" * 32, GENESIS, REWARD, FEE, quorum, max_votes, 100, 10, MIN_STAKE, MIN_STAKE,
            MIN_STAKE // 10, MIN_STAKE // 10)


def mine(w3: Web3, blocks: int) -> None:
    w3.provider.make_request("anvil_mine", [hex(blocks)])


def send_eth(w3: Web3, sender, to: str, wei: int) -> None:
    tx = {"to": to, "value": wei, "gas": 21_000, "nonce": w3.eth.get_transaction_count(sender.address),
          "chainId": w3.eth.chain_id, "maxFeePerGas": w3.eth.gas_price * 2, "maxPriorityFeePerGas": 0}
    tx_hash = w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
    assert w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1


@pytest.fixture
def chain(w3, home, anvil):
    """A fresh ledger, its deployment file in `home`, one funded job, and a staked dev verifier."""
    ledger, receipt = deploy_ledger(w3, dev_account(0), UNBONDING_DELAY)
    Deployment(chain_id=w3.eth.chain_id, address=ledger.address, block=receipt["blockNumber"],
               rpc_url=anvil.url).save(deployment_path(home))
    ledger.send(dev_account(0), "createJob", job_params(), value=Web3.to_wei(5, "ether"))
    job_id = ledger.call("counters")[0]
    ledger.send(dev_account(2), "stake", VERIFIER, value=MIN_STAKE)
    return ledger, job_id


def new_funded_wallet(cli, home, w3, name: str = "worker", eth: float = 3.0) -> str:
    result = cli(["new", name, "--home", home], password=PASSWORD)
    assert result.exit_code == 0, result.output
    address = load_account(home, name, PASSWORD).address
    send_eth(w3, dev_account(1), address, Web3.to_wei(eth, "ether"))
    return address


def submit_claim(ledger: Ledger, worker, job_id: int) -> int:
    ledger.send(worker, "submitClaim", job_id, 0, GENESIS, b"\x02" * 32, b"\x03" * 32, 10, "http://worker/artifacts")
    return ledger.call("counters")[1]


def approve_and_finalize(ledger: Ledger, claim_id: int) -> None:
    mine(ledger.w3, 3)  # voting opens after the seed block (SEED_DELAY = 2 blocks after submission)
    ledger.send(dev_account(2), "attest", claim_id, True, ledger.call("claimSeed", claim_id))
    ledger.send(dev_account(0), "finalizeClaim", claim_id)  # maxVotes = 1: final as soon as the vote is in


def balance_json(cli, home, *names) -> dict:
    result = cli(["balance", *names, "--home", home, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]


def test_stake_earn_and_withdraw_exactly_the_credit(cli, home, w3, chain):
    ledger, job_id = chain
    address = new_funded_wallet(cli, home, w3)

    fresh = balance_json(cli, home, "worker")
    assert fresh["claimable_wei"] == "0" and fresh["zero_reason"] == "nothing accepted yet"

    result = cli(["stake", "--role", "worker", "--amount", "1.5", "--wallet", "worker", "--home", home],
                 password=PASSWORD)
    assert result.exit_code == 0, result.output
    assert ledger.call("stakeOf", address, WORKER)[0] == Web3.to_wei(1.5, "ether")

    worker = load_account(home, "worker", PASSWORD)  # the node signs with the same keystore
    claim_id = submit_claim(ledger, worker, job_id)
    pending = balance_json(cli, home, "worker")
    assert pending["pending_wei"] == str(REWARD)
    assert pending["pending"][0]["claim_id"] == claim_id
    assert pending["zero_reason"].startswith("claims still in their window")
    assert pending["stakes"][0]["open_locks"] == 1

    # a locked stake cannot start unbonding: decoded error, nothing changes
    locked = cli(["unstake", "--role", "worker", "--amount", "0.5", "--wallet", "worker", "--home", home],
                 password=PASSWORD)
    assert locked.exit_code == 1 and "StakeLocked" in locked.output
    assert ledger.call("stakeOf", address, WORKER)[0] == Web3.to_wei(1.5, "ether")

    approve_and_finalize(ledger, claim_id)
    earned = balance_json(cli, home, "worker")
    assert earned["claimable_wei"] == str(REWARD) and earned["zero_reason"] is None
    assert earned["pending"] == []
    text = cli(["balance", "worker", "--home", home])
    assert "claimable       0.25 ETH" in text.output

    before = w3.eth.get_balance(address)
    result = cli(["withdraw", "--wallet", "worker", "--home", home, "--json"], password=PASSWORD)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    receipt = w3.eth.get_transaction_receipt(report["tx_hash"])
    gas_paid = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert int(report["amount_wei"]) == REWARD and int(report["fee_wei"]) == gas_paid
    assert w3.eth.get_balance(address) - before == REWARD - gas_paid
    assert ledger.call("creditOf", address) == 0

    after = balance_json(cli, home, "worker")
    assert after["zero_reason"] == "already withdrawn"

    history = json.loads(cli(["history", "worker", "--home", home, "--json"]).stdout)
    kinds = [e["kind"] for e in history["entries"]]
    assert kinds == ["stake", "claim", "reward", "withdrawal"]
    assert history["entries"][2]["amount_wei"] == str(REWARD)
    assert history["entries"][3]["tx_hash"] == report["tx_hash"]
    verifier_history = json.loads(cli(["history", "--address", dev_account(2).address, "--home", home,
                                       "--json"]).stdout)
    assert [e["kind"] for e in verifier_history["entries"]] == ["stake", "vote", "fee"]


def test_unstake_before_the_delay_is_refused_then_works_after(cli, home, w3, chain):
    ledger, _ = chain
    address = new_funded_wallet(cli, home, w3)
    args = ["--wallet", "worker", "--home", home]
    assert cli(["stake", "--role", "verifier", "--amount", "1", *args], password=PASSWORD).exit_code == 0
    started = cli(["unstake", "--role", "verifier", "--amount", "0.4", *args], password=PASSWORD)
    assert started.exit_code == 0, started.output
    active, unbonding, unlock_block, _ = ledger.call("stakeOf", address, VERIFIER)
    assert (active, unbonding) == (Web3.to_wei(0.6, "ether"), Web3.to_wei(0.4, "ether"))
    shown = balance_json(cli, home, "worker")["stakes"][1]
    assert shown["unbonding_wei"] == str(unbonding) and shown["unlock_block"] == unlock_block

    eth_before, nonce_before = w3.eth.get_balance(address), w3.eth.get_transaction_count(address)
    early = cli(["unstake", "--role", "verifier", "--finish", *args], password=PASSWORD)
    assert early.exit_code == 1
    assert "StakeStillBonded" in early.output and f"unlocks at block {unlock_block}" in early.output
    assert "Traceback" not in early.output
    assert ledger.call("stakeOf", address, VERIFIER)[1] == unbonding
    assert (w3.eth.get_balance(address), w3.eth.get_transaction_count(address)) == (eth_before, nonce_before)

    mine(w3, UNBONDING_DELAY)
    done = cli(["unstake", "--role", "verifier", "--finish", *args, "--json"], password=PASSWORD)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["amount_wei"] == str(unbonding)
    assert ledger.call("stakeOf", address, VERIFIER)[1] == 0


def test_failures_are_clear_and_change_nothing(cli, home, w3, chain):
    ledger, _ = chain
    address = new_funded_wallet(cli, home, w3)

    def snapshot():
        return (w3.eth.get_balance(address), w3.eth.get_transaction_count(address),
                ledger.call("creditOf", address), ledger.call("stakeOf", address, WORKER))

    before = snapshot()
    wrong = cli(["stake", "--role", "worker", "--amount", "1", "--wallet", "worker", "--home", home],
                password="not-the-password")
    assert wrong.exit_code == 1
    assert wrong.output.strip() == "error: wrong password for wallet worker (keystore MAC mismatch)"

    missing = cli(["withdraw", "--wallet", "ghost", "--home", home], password=PASSWORD)
    assert missing.exit_code == 1
    assert "no wallet named 'ghost'" in missing.output and "worker" in missing.output

    nothing = cli(["withdraw", "--wallet", "worker", "--home", home], password=PASSWORD)
    assert nothing.exit_code == 1
    assert "nothing to withdraw" in nothing.output and "nothing accepted yet" in nothing.output

    no_stake = cli(["unstake", "--role", "worker", "--amount", "1", "--wallet", "worker", "--home", home],
                   password=PASSWORD)
    assert no_stake.exit_code == 1 and "reverted" in no_stake.output

    bad_amount = cli(["stake", "--role", "worker", "--amount", "-1", "--wallet", "worker", "--home", home],
                     password=PASSWORD)
    assert bad_amount.exit_code == 1 and "positive" in bad_amount.output

    for result in (wrong, missing, nothing, no_stake, bad_amount):
        assert "Traceback" not in result.output
    assert snapshot() == before


def test_missing_deployment_is_a_clear_error(cli, tmp_path):
    result = cli(["balance", "--address", dev_account(0).address, "--home", tmp_path / "empty"])
    assert result.exit_code == 1
    assert "deployment file" in result.output and "gradchain devnet up" in result.output
