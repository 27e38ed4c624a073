"""Wallet test helpers: a fast scrypt cost, a CLI runner, and a fresh gradchain home per test."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from node.wallet.cli import wallet_app

TEST_KDF_N = 2**10  # test only: real keystores use 2**18


@pytest.fixture(autouse=True)
def _fast_scrypt(monkeypatch):
    monkeypatch.setenv("GRADCHAIN_KDF_N", str(TEST_KDF_N))
    monkeypatch.delenv("GRADCHAIN_PASSWORD", raising=False)
    monkeypatch.delenv("GRADCHAIN_HOME", raising=False)


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def cli():
    """cli(args, password=..., input=...) -> click Result; password goes through GRADCHAIN_PASSWORD."""
    runner = CliRunner()

    def invoke(args, password=None, input=None):
        env = {"GRADCHAIN_PASSWORD": password} if password is not None else {}
        return runner.invoke(wallet_app, [str(a) for a in args], env=env, input=input, catch_exceptions=False)

    return invoke
