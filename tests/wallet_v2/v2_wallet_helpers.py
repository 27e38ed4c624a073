"""Helpers of the v2 wallet tests: constants, mining, funding, keystore wallets made through the CLI."""
from __future__ import annotations

from web3 import Web3

from node import devnet
from node.chain.devaccounts import dev_account
from node.wallet.keystore import load_account

TEST_KDF_N = 2**10  # test only: real keystores use 2**18
PASSWORD = "v2-pass"
ETH = 10**18
UNBONDING_DELAY = devnet.DEFAULT_UNBONDING_DELAY_BLOCKS
VERIFIERS = (2, 3, 4, 5)  # dev accounts that stake a seat each
JOB_OPTIONS = ["--committee-size", "3", "--quorum", "2", "--claim-bond", "0.5", "--miss-penalty", "0.01",
               "--reward", "0.25", "--approval-fee", "0.02", "--escrow", "5",
               "--submit-window", "1000"]  # round 0 stays open while other tests mine past unbonding delays


def mine(w3: Web3, blocks: int) -> None:
    w3.provider.make_request("anvil_mine", [hex(blocks)])


def send_eth(w3: Web3, sender, to: str, wei: int) -> None:
    tx = {"to": to, "value": wei, "gas": 21_000, "nonce": w3.eth.get_transaction_count(sender.address),
          "chainId": w3.eth.chain_id, "maxFeePerGas": w3.eth.gas_price * 2, "maxPriorityFeePerGas": 0}
    tx_hash = w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
    assert w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1


def new_funded_wallet(cli, home, w3, name: str, eth: int = 3):
    """A keystore wallet made by `wallet new`, funded from dev account 1; returns its unlocked account."""
    result = cli(["new", name, "--home", home], password=PASSWORD)
    assert result.exit_code == 0, result.output
    account = load_account(home, name, PASSWORD)
    send_eth(w3, dev_account(1), account.address, eth * ETH)
    return account


def earn_reward(ledger, w3: Web3, worker, job_id: int) -> int:
    """`worker` (staked as worker) submits a claim that two drawn committee members approve and a relayer
    finalizes: the claim's reward becomes the worker's credit. Returns the claim id."""
    from eth_utils import keccak

    from node.chain.v2.views import ClaimStatus

    params = ledger.job_params(job_id)
    receipt = ledger.send(worker, "submitClaim", job_id, 0, ledger.job(job_id).head, keccak(b"result"),
                          keccak(b"transcript"), 3 * params.checkpoint_every, "http://127.0.0.1:9/artifacts/")
    (submitted,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["ClaimSubmitted"])
    claim_id = submitted["args"]["claimId"]
    mine(w3, 3)
    by_address = {dev_account(i).address: dev_account(i) for i in VERIFIERS}
    for index in list(ledger.committee(claim_id))[:2]:
        ledger.send(by_address[ledger.seat(index).account], "approve", claim_id)
    mine(w3, ledger.claim(claim_id).challenge_deadline - w3.eth.block_number + 1)
    ledger.send(dev_account(7), "finalizeClaim", claim_id)
    assert ledger.claim(claim_id).status is ClaimStatus.ACCEPTED
    return claim_id
