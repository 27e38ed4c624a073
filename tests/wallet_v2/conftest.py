"""Wallet and job commands on LedgerV2: one real devnet (anvil, automine) per module, deployed by `devnet.up`
(LedgerV2), a job created through `gradchain job create`, four dev verifiers holding seats, and
CLI runners. Keystores use a fast scrypt cost (test only)."""
from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from node import devnet
from node.api.server import free_port
from node.chain.devaccounts import dev_account
from node.chain.v2.views import Role
from node.commands.job import job_app
from node.wallet.cli import wallet_app
from node.wallet.session import open_ledger

from v2_wallet_helpers import ETH, JOB_OPTIONS, TEST_KDF_N, VERIFIERS



@pytest.fixture(autouse=True)
def _fast_scrypt(monkeypatch):
    monkeypatch.setenv("GRADCHAIN_KDF_N", str(TEST_KDF_N))
    monkeypatch.delenv("GRADCHAIN_PASSWORD", raising=False)
    monkeypatch.delenv("GRADCHAIN_HOME", raising=False)


def invoke(app, args, password=None):
    env = {"GRADCHAIN_PASSWORD": password} if password is not None else {}
    return CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture
def cli():
    """cli(args, password=...) runs `gradchain wallet ARGS`."""
    return lambda args, password=None: invoke(wallet_app, args, password)


@pytest.fixture
def job_cli():
    return lambda args, password=None: invoke(job_app, args, password)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A gradchain home with a running v2 devnet in it (stopped after the module)."""
    h = tmp_path_factory.mktemp("v2home")
    devnet.up(h, port=free_port(), block_time=None)
    yield h
    devnet.down(h)


@pytest.fixture(scope="module")
def ledger(home):
    return open_ledger(home).ledger


@pytest.fixture(scope="module")
def w3(ledger):
    return ledger.w3


@pytest.fixture(scope="module")
def job_id(home, ledger):
    """A digits job created through the CLI on v2, then four verifier seats (registered after the job, before any
    claim: a seat is eligible for claims submitted after its registration block)."""
    result = invoke(job_app, ["create", "--preset", "digits", "--dev-account", "0", "--home", home, *JOB_OPTIONS])
    assert result.exit_code == 0, result.output
    created = int(re.search(r"^job (\d+) created", result.stdout, re.M).group(1))
    for i in VERIFIERS:
        ledger.send(dev_account(i), "stake", int(Role.VERIFIER), value=ETH)
    return created
