"""No deployment, or no chain behind it: one clear line, nothing sent (kept from the v1 wallet and ledger tests)."""
from __future__ import annotations

import pytest

from node.chain.devaccounts import dev_account


def test_missing_deployment_is_a_clear_error(cli, tmp_path):
    result = cli(["balance", "--address", dev_account(0).address, "--home", tmp_path / "empty"])
    assert result.exit_code == 1
    assert "deployment file" in result.output and "gradchain devnet up" in result.output


def test_unreachable_rpc_is_a_clear_error():
    from node.chain.client import connect
    from node.chain.errors import ChainError

    with pytest.raises(ChainError, match="cannot reach the chain at http://127.0.0.1:9: start one with"):
        connect("http://127.0.0.1:9", timeout_s=2)
