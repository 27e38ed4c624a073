"""`gradchain job create|show|fund` on LedgerV2: the v2 terms as options, JobParams and JobState shown by name,
and terms the contract refuses shown as its named error with nothing created."""
from __future__ import annotations

import json

from node.chain.v2.terms import JobTermsV2
from node.wallet.amounts import format_eth

from v2_wallet_helpers import ETH


def test_create_then_show_by_field_name(job_cli, home, ledger, job_id):
    params = ledger.job_params(job_id)  # created by the job_id fixture through `job create ... JOB_OPTIONS`
    assert (params.committee_size, params.quorum, params.claim_bond, params.miss_penalty) == (3, 2, ETH // 2, ETH // 100)
    assert (params.reward_per_claim, params.approval_fee, params.submit_window) == (ETH // 4, ETH // 50, 1000)
    defaults = JobTermsV2()  # options not given keep JobTermsV2's defaults
    assert (params.jury_size, params.challenge_bond, params.head_window) == (
        defaults.jury_size, defaults.challenge_bond, defaults.head_window)

    shown = job_cli(["show", job_id, "--home", home, "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["params"]["committee_size"] == 3 and data["params"]["claim_bond"] == ETH // 2
    assert data["state"]["owner"] == ledger.job(job_id).owner and data["state"]["escrow"] == ledger.job(job_id).escrow
    assert data["params"]["genesis_head"] == "0x" + ledger.job(job_id).head.hex()
    assert set(data["claims_finalized"]) == {"accepted", "rejected", "expired"}

    text = job_cli(["show", job_id, "--home", home]).stdout
    assert "committee_size: 3" in text and "claim_bond: 0.5 ETH" in text and "escrow: " in text
    assert "pending_proposal: 0" in text

    funded = job_cli(["fund", job_id, "--amount", "1", "--dev-account", "6", "--home", home])
    assert funded.exit_code == 0, funded.output
    assert f"escrow now {format_eth(ledger.job(job_id).escrow)}" in funded.stdout


def test_refused_terms_name_the_error_and_create_nothing(job_cli, home, ledger, job_id):
    owner = ledger.job(job_id).owner  # dev account 0, which signs the refused creates below
    nonce = ledger.w3.eth.get_transaction_count(owner)
    bad = job_cli(["create", "--preset", "digits", "--dev-account", "0", "--home", home,
                   "--committee-size", "3", "--quorum", "4"])
    assert bad.exit_code == 1
    assert "createJob reverted: InvalidJobParam(" in bad.stderr and "nothing was changed" in bad.stderr
    v1_only = job_cli(["create", "--preset", "digits", "--dev-account", "0", "--home", home, "--max-votes", "3"])
    assert v1_only.exit_code == 2 and "No such option: --max-votes" in v1_only.stderr  # a v1 term, gone with v1
    for result in (bad, v1_only):
        assert "Traceback" not in result.output
    assert ledger.w3.eth.get_transaction_count(owner) == nonce


def test_terms_the_ledger_cannot_hold_are_refused_by_name_before_anything_is_sent(job_cli, home, ledger, job_id):
    owner = ledger.job(job_id).owner
    nonce = ledger.w3.eth.get_transaction_count(owner)
    too_long = str(2**32)  # windows are uint32 on chain
    refused = job_cli(["create", "--preset", "digits", "--dev-account", "0", "--home", home,
                       "--submit-window", too_long, "--committee-size", "300"])
    assert refused.exit_code == 1, refused.output
    assert f"submit_window = {too_long} is out of range (0 to {2**32 - 1})" in refused.stderr, refused.stderr
    assert "committee_size = 300 is out of range (0 to 255)" in refused.stderr and "nothing was sent" in refused.stderr
    assert "Traceback" not in refused.output
    assert ledger.w3.eth.get_transaction_count(owner) == nonce


def test_terms_that_make_cheating_pay_are_refused_with_the_smallest_fix(job_cli, home, ledger, job_id):
    """PROTOCOL.md §8 before anything is signed: each broken inequality named, with the smallest value that
    satisfies it; that value, given back, satisfies it."""
    import re

    owner = ledger.job(job_id).owner
    nonce = ledger.w3.eth.get_transaction_count(owner)
    # 1 CPU-s per segment at 3,600 ETH per CPU-hour: 1 ETH per segment, 30 ETH for the digits preset's 30 segments;
    # a member replays s = 1 of them (the preset's default).
    priced = ["--segment-cpu-s", "1", "--compute-price", "3600"]
    refused = job_cli(["create", "--preset", "digits", "--dev-account", "0", "--home", home, *priced,
                       "--reward", "0.1", "--claim-bond", "0.5", "--approval-fee", "1", "--sentinel-rate", "0.5",
                       "--approval-bond", "1", "--challenge-bond", "0.2"])
    assert refused.exit_code == 1, refused.output
    err = refused.stderr
    assert "break PROTOCOL.md §8, nothing was sent" in err and "Traceback" not in refused.output
    assert "claim_bond + reward_per_claim >= cost of H steps" in err and "raise claim_bond to at least 29.9 ETH" in err
    assert "approval_fee > replay cost of s segments" in err and "raise approval_fee to at least 1.000000000000000001 ETH" in err
    assert "sentinel_rate x approval_bond > replay cost" in err and "raise approval_bond to at least 2.000000000000000001 ETH" in err
    assert "0 < challenge_bond < the slash a true challenge wins" in err  # 0.5 ETH shared by 1 + 3 jurors: 0.125
    assert ledger.w3.eth.get_transaction_count(owner) == nonce

    fixed = re.search(r"raise claim_bond to at least ([0-9.]+) ETH", err).group(1)
    again = job_cli(["create", "--preset", "digits", "--dev-account", "0", "--home", home, *priced,
                     "--reward", "0.1", "--claim-bond", fixed, "--approval-fee", "3", "--sentinel-rate", "0.5",
                     "--approval-bond", "5", "--challenge-bond", "0.1", "--escrow", "60"])
    assert again.exit_code == 0, again.output
    out = again.stdout
    # The preset's terms re-execute a tenth of the work: D·s·k/H = 3·1·100/3000, and no warning about it.
    assert "verification share D·s·k/H: 10.0%" in out and "P(detect) with one segment faked: 0.097" in out
    assert "P(detect) with 100% faked: 1.000" in out and "a blind approver's expected loss per claim: 1.5 ETH" in out
    assert "verification share D·s·k/H =" not in again.stderr
    too_much = job_cli(["create", "--preset", "digits", "--dev-account", "0", "--home", home, *priced,
                        "--reward", "0.1", "--claim-bond", fixed, "--approval-fee", "3", "--sentinel-rate", "0.5",
                        "--approval-bond", "5", "--challenge-bond", "0.1", "--escrow", "60", "--samples-per-member",
                        "2"])
    assert too_much.exit_code == 0, too_much.output
    assert "verification share D·s·k/H = 3·2·100/3000 = 20%" in too_much.stderr  # above §8's 10%: a warning


def test_job_create_measures_the_step_when_no_benchmark_is_given(job_cli, home):
    created = job_cli(["create", "--preset", "digits", "--dev-account", "0", "--home", home, "--json"])
    assert created.exit_code == 0, created.output
    figures = json.loads(created.stdout)["economics"]
    assert 0 < figures["replay_wei"] < figures["work_wei"] / 20  # 1 segment replayed of 30 trained, at 0.01 ETH/CPU-h
    assert figures["verification_share"] == 0.1 and figures["segments"] == 30
    assert figures["p_detect"]["100%"] == 1.0 and figures["sentinel_rate"] == 0.0
