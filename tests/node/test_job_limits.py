"""`job create` refuses terms the contract cannot hold or would refuse, before anything is sent: on a real
anvil, the owner's nonce does not move, and the CLI says which option, which value and what is allowed."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from node.chain.client import Ledger, connect, deploy_ledger
from node.chain.devaccounts import dev_account
from node.config import Deployment, deployment_path
from node.jobs import JobTerms, create_job
from prover.presets import digits_spec

REPO = Path(__file__).resolve().parents[2]
OWNER = dev_account(0)


@pytest.fixture(scope="module")
def chain(anvil, tmp_path_factory):
    home = tmp_path_factory.mktemp("limits-home")
    w3 = connect(anvil.url)
    ledger, receipt = deploy_ledger(w3, OWNER, unbonding_delay_blocks=10)
    Deployment(chain_id=w3.eth.chain_id, address=ledger.address, block=receipt["blockNumber"],
               rpc_url=anvil.url).save(deployment_path(home))
    return home, ledger


def nonce(ledger: Ledger) -> int:
    return ledger.w3.eth.get_transaction_count(OWNER.address)


@pytest.mark.parametrize("spec_steps, terms, expected", [
    (2**32, JobTerms(), "steps_per_claim 4294967296 (the job spec's) is out of range: allowed 1 to 4294967295"),
    (30, JobTerms(submit_window=2**32), "--submit-window 4294967296 is out of range: allowed 0 to 4294967295"),
    (30, JobTerms(quorum=4, max_votes=3), "--quorum 4 is out of range: allowed 1 to 3"),
    (30, JobTerms(max_votes=17), "--max-votes 17 is out of range: allowed 1 to 16"),
    (30, JobTerms(verify_window=201), "--verify-window 201 is out of range: allowed 1 to 200"),
    (30, JobTerms(submit_window=0), "--submit-window 0 is out of range: allowed 1 to 4294967295"),
    (30, JobTerms(worker_slash=2 * 10**18), "worker_slash 2 ETH is out of range: allowed 0 ETH to 1 ETH"),
    (30, JobTerms(reward_per_claim=2**96), "--reward 79228162514.264337593543950336 ETH plus --fee 0.01 ETH x --max-votes 3 is "
     "79228162514.294337593543950336 ETH: allowed at most 79228162514.264337593543950335 ETH"),
])
def test_create_job_refuses_before_sending(chain, spec_steps, terms, expected):
    home, ledger = chain
    spec = dataclasses.replace(digits_spec(), steps_per_claim=spec_steps, checkpoint_every=spec_steps // 3
                               if spec_steps == 30 else spec_steps)
    before = nonce(ledger)
    with pytest.raises(ValueError) as refused:
        create_job(ledger, OWNER, spec, terms, 10**18, home=home)
    assert expected in str(refused.value) and "wei" not in str(refused.value)
    assert nonce(ledger) == before, "a transaction was sent"


def test_the_limits_are_the_contracts_own(chain):
    # The bounds above come from the ABI and the deployed ledger; each accepted edge really is accepted.
    home, ledger = chain
    before = nonce(ledger)
    terms = JobTerms(quorum=16, max_votes=16, verify_window=200, submit_window=2**32 - 1)
    created = create_job(ledger, OWNER, digits_spec(), terms, 10**18, home=home)
    assert nonce(ledger) == before + 1 and ledger.call("getJob", created["job_id"])[1][5] == 16


def test_cli_names_the_option_value_and_range(chain):
    home, ledger = chain
    before = nonce(ledger)
    result = subprocess.run([sys.executable, "-m", "node.cli", "job", "create", "--preset", "digits",
                             "--dev-account", "0", "--home", str(home), "--quorum", str(2**32)],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip() == ("error: --quorum 4294967296 is out of range: allowed 0 to 4294967295 "
                                     "(JobParams.quorum is a uint32)")
    assert nonce(ledger) == before
