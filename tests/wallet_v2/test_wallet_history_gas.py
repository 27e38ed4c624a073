"""`gradchain wallet history` dated and with gas: each entry's block time as a UTC date-time (never an epoch
number), the gas of each transaction the address sent (gasUsed x effectiveGasPrice of its receipt), and a total
that equals the sum of those receipts; entries of transactions other addresses sent carry no gas."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from node.wallet.amounts import eth_decimal, format_eth

from v2_wallet_helpers import PASSWORD, earn_reward, new_funded_wallet


def test_history_is_dated_and_its_gas_total_is_the_sum_of_the_senders_receipts(cli, home, w3, ledger, job_id):
    hank = new_funded_wallet(cli, home, w3, "hank")
    signing = ["--wallet", "hank", "--home", home, "--yes", "--json"]
    staked = cli(["stake", "--role", "worker", "1", *signing], password=PASSWORD)
    assert staked.exit_code == 0, staked.output
    earn_reward(ledger, w3, hank, job_id)  # hank submits the claim; a relayer's finalizeClaim credits the reward
    withdrawn = cli(["withdraw", *signing], password=PASSWORD)
    assert withdrawn.exit_code == 0, withdrawn.output

    shown = cli(["history", "hank", "--home", home, "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    kinds = [e["kind"] for e in data["entries"]]
    assert kinds == ["stake", "claim", "reward", "withdrawal"]

    sent_by_hank = {}
    for e in data["entries"]:
        receipt = w3.eth.get_transaction_receipt(e["tx_hash"])
        stamp = w3.eth.get_block(e["block"])["timestamp"]
        assert e["time"] == datetime.fromtimestamp(stamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert e["amount_eth"] == eth_decimal(int(e["amount_wei"]))
        if receipt["from"] == hank.address:
            paid = receipt["gasUsed"] * receipt["effectiveGasPrice"]
            sent_by_hank[e["tx_hash"]] = paid
            assert (e["gas_paid_wei"], e["gas_paid_eth"]) == (str(paid), eth_decimal(paid))
        else:
            assert "gas_paid_wei" not in e  # the relayer paid for finalizeClaim
    reward = next(e for e in data["entries"] if e["kind"] == "reward")
    assert "gas_paid_wei" not in reward and len(sent_by_hank) == 3
    total = sum(sent_by_hank.values())
    assert data["gas_paid_wei"] == str(total) and data["transactions_sent"] == 3
    assert json.loads(staked.stdout)["fee_wei"] == str(sent_by_hank[json.loads(staked.stdout)["tx_hash"]])

    text = cli(["history", "hank", "--home", home]).stdout
    lines = [line for line in text.splitlines() if line.startswith("  20")]
    assert len(lines) == 4
    for line, entry in zip(lines, data["entries"]):
        when = datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%SZ").strftime("%Y-%m-%d %H:%M:%S UTC")
        assert line.startswith(f"  {when}  block"), line
        if entry["tx_hash"] in sent_by_hank and "gas_paid_wei" in entry:
            assert f"gas {format_eth(sent_by_hank[entry['tx_hash']])}" in line
    assert "sent by another address" in lines[2]
    assert f"gas paid: {format_eth(total)} over 3 transaction(s) sent by {hank.address}" in text
    stamps = {str(w3.eth.get_block(e["block"])["timestamp"]) for e in data["entries"]}
    assert not any(re.search(rf"\b{s}\b", text) for s in stamps)  # no epoch numbers
