"""`gradchain devnet fund`: a new wallet gets ETH without anvil's keys or `cast send`; bad input is one clear line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_utils import to_checksum_address

from node import devnet
from node.api.server import free_port
from node.chain.client import connect
from node.wallet.keystore import create_wallet

REPO = Path(__file__).resolve().parents[2]
RECIPIENT = to_checksum_address("0x" + "5e" * 20)


def gradchain(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "node.cli", *args, "--home", str(home)], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("faucet")
    devnet.up(home, port=free_port(), block_time=None)
    yield home
    devnet.down(home)


def test_an_address_is_funded_and_the_balance_is_on_chain(home):
    w3 = connect(devnet.status(home)["rpc_url"])
    before = w3.eth.get_balance(RECIPIENT)
    done = gradchain(home, "devnet", "fund", RECIPIENT, "--eth", "2.5", "--json")
    assert done.returncode == 0, done.stderr
    funded = json.loads(done.stdout)
    assert funded["amount_wei"] == 25 * 10**17 and funded["wallet"] is None
    assert w3.eth.get_balance(RECIPIENT) == before + 25 * 10**17 == funded["balance_wei"]


def test_a_wallet_is_funded_by_name(home):
    info = create_wallet(home, "alice", "correct horse battery staple")
    done = gradchain(home, "devnet", "fund", "alice", "--eth", "1")
    assert done.returncode == 0, done.stderr
    assert f"sent 1 ETH to {info.address} (wallet alice)" in done.stdout and "balance 1 ETH" in done.stdout
    assert connect(devnet.status(home)["rpc_url"]).eth.get_balance(info.address) == 10**18


@pytest.mark.parametrize("args, expected", [
    (("nobody", "--eth", "1"), "no wallet named 'nobody'"),
    (("0x1234", "--eth", "1"), "'0x1234' is not an Ethereum address"),
    ((RECIPIENT, "--eth", "0"), "amount '0' must be a positive number of ETH"),
    ((RECIPIENT, "--eth", "1000000000"), "holds less than that"),
])
def test_bad_input_is_one_line_and_sends_nothing(home, args, expected):
    w3 = connect(devnet.status(home)["rpc_url"])
    block = w3.eth.block_number
    done = gradchain(home, "devnet", "fund", *args)
    assert done.returncode == 1 and expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert w3.eth.block_number == block  # automine: a sent transaction would have mined a block
