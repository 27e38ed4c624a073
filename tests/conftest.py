"""Shared fixtures: a real anvil chain per test module, started on a free port and torn down after."""
from __future__ import annotations

import os

os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")  # before any test module loads torch (prover/determinism.py)

import pytest  # noqa: E402

from node.chain.anvil import Anvil
from node.chain.client import connect


@pytest.fixture(scope="module")
def anvil(tmp_path_factory):
    chain = Anvil(log_path=tmp_path_factory.mktemp("anvil") / "anvil.log")
    chain.start()
    yield chain
    chain.stop()


@pytest.fixture(scope="module")
def w3(anvil):
    return connect(anvil.url)
