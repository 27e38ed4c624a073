"""`gradchain wallet` on a real LedgerV2 devnet: seats, locked vs unlocked stake, unbonding, a claim's settlement
in the history, and the pooled credit withdrawn. The worker and the staker are keystore wallets made by
`wallet new`; dev accounts play the committee and the relayer."""
from __future__ import annotations

import json

import pytest
from eth_utils import keccak

from node.chain.devaccounts import dev_account
from node.chain.errors import ContractRevert
from node.chain.v2.views import ClaimStatus, Role
from node.wallet.actions_v2 import explain

from v2_wallet_helpers import ETH, PASSWORD, UNBONDING_DELAY, mine, new_funded_wallet

RESULT, ROOT = keccak(b"result"), keccak(b"transcript")
URI = "http://127.0.0.1:9/artifacts/"


def balance_json(cli, home, name: str) -> dict:
    result = cli(["balance", name, "--home", home, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]


def history_json(cli, home, *who) -> list[dict]:
    result = cli(["history", *who, "--home", home, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["entries"]


def test_seat_unstake_retires_it_and_withdraw_stake_waits_for_the_unlock_block(cli, home, w3, ledger, job_id):
    vera = new_funded_wallet(cli, home, w3, "vera")
    signing = ["--wallet", "vera", "--home", home]

    staked = cli(["stake", "--role", "verifier", "1", *signing, "--json", "--yes"], password=PASSWORD)
    assert staked.exit_code == 0, staked.output
    stake_report = json.loads(staked.stdout)
    seat_index = ledger.stake(vera.address, Role.VERIFIER).seat_plus_one - 1
    assert stake_report["seatRegistered"] == str(seat_index)
    shown = balance_json(cli, home, "vera")
    verifier = shown["stakes"][1]
    assert shown["seat_stake_wei"] == str(ledger.call("seatStake"))
    assert verifier["seat"] == {"index": seat_index, "live": True, "registered_at": stake_report["block"],
                                "retired_at": 0}
    assert (verifier["active_wei"], verifier["locked_wei"], verifier["unlocked_wei"]) == (str(ETH), "0", str(ETH))
    text = cli(["balance", "vera", "--home", home]).output
    assert f"seat           live: seat {seat_index}" in text and "seatStake 0.5 ETH" in text

    unstaked = cli(["unstake", "--role", "verifier", "0.4", *signing, "--json", "--yes"], password=PASSWORD)
    assert unstaked.exit_code == 0, unstaked.output
    assert f"retires verifier seat {seat_index}" in unstaked.stderr
    report = json.loads(unstaked.stdout)
    assert report["seatRetired"] == str(seat_index) and report["amount_wei"] == str(4 * ETH // 10)
    retired = ledger.seat(seat_index)
    assert retired.retired_at == report["block"]
    unlock_block = ledger.stake(vera.address, Role.VERIFIER).unlock_block
    assert unlock_block == report["block"] + UNBONDING_DELAY
    after = balance_json(cli, home, "vera")["stakes"][1]
    assert after["seat"]["live"] is False and after["seat"]["retired_at"] == retired.retired_at
    assert (after["active_wei"], after["unbonding_wei"], after["unlock_block"]) == (
        str(6 * ETH // 10), str(4 * ETH // 10), unlock_block)

    nonce = w3.eth.get_transaction_count(vera.address)
    early = cli(["withdraw-stake", "--role", "verifier", *signing], password=PASSWORD)
    assert early.exit_code == 1
    assert f"unlocks at block {unlock_block}" in early.stderr and "no transaction was sent" in early.stderr
    assert "Traceback" not in early.output
    assert w3.eth.get_transaction_count(vera.address) == nonce

    mine(w3, unlock_block - w3.eth.block_number)
    before = w3.eth.get_balance(vera.address)
    paid = cli(["withdraw-stake", "--role", "verifier", *signing, "--json", "--yes"], password=PASSWORD)
    assert paid.exit_code == 0, paid.output
    out = json.loads(paid.stdout)
    assert out["amount_wei"] == str(4 * ETH // 10)
    assert w3.eth.get_balance(vera.address) - before == 4 * ETH // 10 - int(out["fee_wei"])
    assert ledger.stake(vera.address, Role.VERIFIER).unbonding == 0

    kinds = [e["kind"] for e in history_json(cli, home, "vera")]
    assert kinds == ["stake", "seat-registered", "unstake-requested", "seat-retired", "stake-withdrawn"]


def test_claim_lifecycle_locks_then_settles_into_credits_slashes_and_a_withdrawal(cli, home, w3, ledger, job_id):
    worker = new_funded_wallet(cli, home, w3, "walt")
    signing = ["--wallet", "walt", "--home", home]
    assert cli(["stake", "--role", "worker", "1", *signing, "--yes"], password=PASSWORD).exit_code == 0
    params = ledger.job_params(job_id)

    receipt = ledger.send(worker, "submitClaim", job_id, 0, ledger.job(job_id).head, RESULT, ROOT,
                          3 * params.checkpoint_every, URI)
    (submitted,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=["ClaimSubmitted"])
    claim_id = submitted["args"]["claimId"]

    locked = balance_json(cli, home, "walt")
    stake = locked["stakes"][0]
    assert (stake["active_wei"], stake["locked_wei"], stake["unlocked_wei"]) == (
        str(ETH), str(params.claim_bond), str(ETH - params.claim_bond))
    assert [p["claim_id"] for p in locked["pending"]] == [claim_id]
    assert locked["pending_wei"] == str(params.reward_per_claim)

    # More than the unlocked part: refused before signing, in the contract's own terms.
    nonce = w3.eth.get_transaction_count(worker.address)
    refused = cli(["unstake", "--role", "worker", "0.8", *signing], password=PASSWORD)
    assert refused.exit_code == 1
    assert "only 0.5 ETH is unlocked (active 1 ETH - locked 0.5 ETH" in refused.stderr
    assert "no transaction was sent" in refused.stderr and "Traceback" not in refused.output
    assert w3.eth.get_transaction_count(worker.address) == nonce
    # The contract refuses it too, and its named error decodes with its arguments.
    with pytest.raises(ContractRevert) as revert:
        ledger.send(worker, "requestUnstake", int(Role.WORKER), 8 * ETH // 10)
    assert revert.value.name == "InsufficientUnlockedStake"
    assert (revert.value.args_by_name["needed"], revert.value.args_by_name["unlocked"]) == (
        8 * ETH // 10, ETH - params.claim_bond)
    assert "0.8 ETH needed but only 0.5 ETH" in explain(revert.value)

    # Two of the three drawn members approve; the third misses and pays missPenalty (undisputed claim).
    mine(w3, 3)
    by_address = {dev_account(i).address: dev_account(i) for i in range(2, 6)}
    members = [by_address[ledger.seat(i).account] for i in ledger.committee(claim_id)]
    for member in members[:2]:
        ledger.send(member, "approve", claim_id)
    claim = ledger.claim(claim_id)
    mine(w3, claim.challenge_deadline - w3.eth.block_number + 1)
    ledger.send(dev_account(7), "finalizeClaim", claim_id)
    assert ledger.claim(claim_id).status is ClaimStatus.ACCEPTED

    missed = history_json(cli, home, "--address", members[2].address)
    (slash,) = [e for e in missed if e["kind"] == "slash"]
    assert (slash["reason"], slash["claim_id"], slash["amount_wei"], slash["role"]) == (
        "MISS_PENALTY", claim_id, str(params.miss_penalty), "verifier")
    approver = history_json(cli, home, "--address", members[0].address)
    assert [(e["kind"], e.get("claim_id")) for e in approver if e["kind"] in ("approval", "fee")] == [
        ("approval", claim_id), ("fee", claim_id)]
    text = cli(["history", "--address", members[2].address, "--home", home]).output
    assert f"claim={claim_id}" in text and "miss-penalty" in text

    earned = balance_json(cli, home, "walt")
    assert earned["claimable_wei"] == str(params.reward_per_claim) and earned["pending"] == []
    assert earned["stakes"][0]["locked_wei"] == "0"
    before = w3.eth.get_balance(worker.address)
    withdrawn = cli(["withdraw", *signing, "--json", "--yes"], password=PASSWORD)
    assert withdrawn.exit_code == 0, withdrawn.output
    report = json.loads(withdrawn.stdout)
    assert report["amount_wei"] == str(params.reward_per_claim)
    assert w3.eth.get_balance(worker.address) - before == params.reward_per_claim - int(report["fee_wei"])
    assert balance_json(cli, home, "walt")["zero_reason"] == "already withdrawn"

    entries = history_json(cli, home, "walt")
    assert [e["kind"] for e in entries] == ["stake", "claim", "reward", "withdrawal"]
    assert entries[2]["reason"] == "REWARD" and entries[2]["claim_id"] == claim_id
    assert entries[3]["tx_hash"] == report["tx_hash"]

    again = cli(["withdraw", *signing], password=PASSWORD)
    assert again.exit_code == 1 and "nothing to withdraw" in again.stderr and "already withdrawn" in again.stderr
