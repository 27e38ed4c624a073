"""Shared fixtures: a real anvil chain per test module, started on a free port and torn down after."""
from __future__ import annotations

import os

# Before any test module loads torch: the test process runs the presets' numerics profile, cpu-avx2-strict
# (prover/numerics.py), as a node does once the CLI has applied its spec's profile.
os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
os.environ.setdefault("MKL_CBWR", "AVX2,STRICT")

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
