"""One real anvil and one honest+fraud LedgerV2 history (scenario.py) shared by the v2 audit tests; the audit
runs once over it and tests that tamper copy its database first."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # scenario.py

from node.audit.run import run_audit  # noqa: E402
from node.chain.anvil import Anvil  # noqa: E402
from node.chain.client import connect  # noqa: E402

import scenario  # noqa: E402
from audit_v2_helpers import audit_options  # noqa: E402


@pytest.fixture(scope="session")
def chain(tmp_path_factory):
    anvil = Anvil(log_path=tmp_path_factory.mktemp("anvil-v2") / "anvil.log")
    anvil.start()
    yield anvil
    anvil.stop()


@pytest.fixture(scope="session")
def history(chain, tmp_path_factory) -> scenario.History:
    home = tmp_path_factory.mktemp("audit-v2-home")
    h = scenario.build(connect(chain.url), home, chain.url)
    h.home = home
    return h


@pytest.fixture(scope="session")
def audited(history, tmp_path_factory):
    """(database path, report) of the audit of the whole history."""
    db = tmp_path_factory.mktemp("audit-v2") / "audit.db"
    return db, run_audit(audit_options(history, db))
