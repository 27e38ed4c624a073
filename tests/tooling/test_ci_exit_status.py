"""CI must fail when a contract test fails: scripts/test.sh and bench/gas.sh, run for real in a copy of the
checkout with a planted failure, must exit non-zero (through the npm wrapper they exited 0)."""
from __future__ import annotations

import re
import shutil

import pytest

from repo_copy import REPO, copy_checkout, run_script, site_packages, snapshot

PLANTED_TEST = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Planted by tests/tooling/test_ci_exit_status.py: CI must go red on it.
contract PlantedFailureTest {
    function test_planted_failure() public pure {
        revert("planted");
    }
}
"""

PLANTED_COMPILE_ERROR = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

contract PlantedCompileError {
    function broken() public pure returns (uint256) {
        return undeclared_planted_name;
    }
}
"""


# Stands in for the copy's test suite: if forge's failure were missed, pytest would run this one quick file
# (not the whole suite a second time) and leave a mark.
SENTINEL_TEST = """from pathlib import Path


def test_pytest_started():
    Path(__file__).with_name("pytest-started").write_text("pytest ran")
"""


@pytest.fixture
def copy(tmp_path):
    return copy_checkout(tmp_path / "checkout")


def test_test_sh_fails_at_a_failing_forge_test_and_never_starts_pytest(copy):
    # The planted test alone: the real suites would only add minutes of fuzzing to a test of an exit status.
    shutil.rmtree(copy / "contracts/test")
    (copy / "contracts/test").mkdir()
    (copy / "contracts/test/PlantedFailure.t.sol").write_text(PLANTED_TEST)
    shutil.rmtree(copy / "tests")
    (copy / "tests").mkdir()
    (copy / "tests/test_sentinel.py").write_text(SENTINEL_TEST)
    venv_before, npm_before = snapshot(site_packages()), snapshot(REPO / "node_modules")

    done = run_script(copy, "scripts/test.sh")

    assert done.returncode != 0, done.stdout
    assert re.search(r"\[FAIL[^\]]*\] test_planted_failure\(\)", done.stdout), done.stdout
    assert "== forge test (profile ci) ==" in done.stdout, done.stdout  # it got as far as forge ...
    assert "== pytest ==" not in done.stdout, done.stdout  # ... and stopped there
    assert not (copy / "tests/pytest-started").exists()
    # The copy's set-up reused the shared installs: no pip or npm ran through its links.
    assert snapshot(site_packages()) == venv_before
    assert snapshot(REPO / "node_modules") == npm_before


# A failing test in the gas suite, named like the first scenario bench/gas.sh runs (it runs each scenario by
# --match-test), so that scenario's forge run is the one that fails.
PLANTED_GAS_TEST = PLANTED_TEST.replace("test_planted_failure", "test_gas_batched_4")

FINALIZE_HEAD = """        vm.prank(aggregator);
        ledger.finalizeHead(pid);
        assertEq(ledger.getJob(jobId).round, 1, "round advanced");
"""


def _plant_compile_error(copy):
    (copy / "contracts/src/PlantedCompileError.sol").write_text(PLANTED_COMPILE_ERROR)


def _plant_failing_gas_test(copy):
    (copy / "contracts/test/v2/gas/PlantedFailure.t.sol").write_text(PLANTED_GAS_TEST)


def _drop_finalize_head_call(copy):
    # The round no longer calls finalizeHead, so its row is missing from the gas report: no zero may be printed.
    path = copy / "contracts/test/v2/gas/LedgerV2Gas.t.sol"
    source = path.read_text()
    assert FINALIZE_HEAD in source
    path.write_text(source.replace(FINALIZE_HEAD, "        pid;\n"))


@pytest.mark.parametrize("plant, expected", [
    (_plant_compile_error, r"undeclared_planted_name|Undeclared identifier"),
    (_plant_failing_gas_test, r"\[FAIL[^\]]*\] test_gas_batched_4\(\)"),
    (_drop_finalize_head_call, r"error: no gas-report row for LedgerV2\.finalizeHead in scenario batched_4"),
], ids=["compile-error", "failing-gas-test", "missing-figure"])
def test_gas_sh_fails_instead_of_printing_zeros(copy, plant, expected):
    plant(copy)

    done = run_script(copy, "bench/gas.sh")

    assert done.returncode != 0, done.stdout
    assert re.search(expected, done.stdout), done.stdout
    assert not re.search(r"^finalizeHead\s+\d+\s+0\b", done.stdout, re.M), done.stdout
    assert "all-in gas per accepted claim (batched_4)" not in done.stdout, done.stdout
