"""Shared fixtures for the prover tests: small specs shared across files."""

import pytest

from prover import digits_spec, genesis, tiny_gpt_spec



@pytest.fixture(scope="session")
def dspec():
    """Digits MLP, H=30, k=10: a claim trains in a few tens of milliseconds."""
    return digits_spec()


@pytest.fixture(scope="session")
def dgenesis(dspec):
    return genesis(dspec)


@pytest.fixture(scope="session")
def gspec():
    """Tiny GPT on the shipped corpus, H=20, k=5."""
    return tiny_gpt_spec()
