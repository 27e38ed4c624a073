"""`gradchain job create|fund|show`: what a job owner does."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from node.jobs import JobTerms, create_job, job_summary, tolerance_delta_warning
from node.wallet.amounts import format_eth, parse_eth
from node.wallet.session import open_ledger

from .common import (DeploymentOpt, DevAccountOpt, HomeOpt, JsonOpt, PasswordFileOpt, RpcOpt, WalletOpt,
                     print_json, resolve_home, signing_account, user_errors)

job_app = typer.Typer(help="Create, fund and inspect training jobs.", no_args_is_help=True)

PRESETS = ("digits",)


def load_spec(preset: str | None, spec_file: Path | None):
    from prover.spec import JobSpec

    if (preset is None) == (spec_file is None):
        raise ValueError("give exactly one of --preset NAME and --spec FILE")
    if spec_file is not None:
        if not spec_file.is_file():
            raise ValueError(f"--spec {spec_file}: no such file (expected a job spec JSON)")
        return JobSpec.from_json(spec_file.read_bytes())
    if preset == "digits":
        from prover.presets import digits_spec

        return digits_spec()
    raise ValueError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")


@job_app.command("create")
@user_errors
def create(
    preset: Annotated[Optional[str], typer.Option(help=f"built-in spec: {', '.join(PRESETS)}")] = None,
    spec: Annotated[Optional[Path], typer.Option("--spec", help="job spec JSON file")] = None,
    escrow: Annotated[str, typer.Option(help="ETH to escrow now")] = "10",
    reward: Annotated[str, typer.Option(help="ETH paid per accepted claim")] = "0.1",
    fee: Annotated[str, typer.Option(help="ETH paid to each verifier on the winning side")] = "0.01",
    quorum: Annotated[int, typer.Option(help="votes needed to decide a claim")] = 2,
    max_votes: Annotated[int, typer.Option(help="most votes a claim takes")] = 3,
    submit_window: Annotated[int, typer.Option(help="blocks a round accepts claims")] = 30,
    verify_window: Annotated[int, typer.Option(help="blocks of voting per claim or head")] = 30,
    home: HomeOpt = None, rpc: RpcOpt = None, deployment: DeploymentOpt = None, wallet: WalletOpt = None,
    dev_account: DevAccountOpt = None, password_file: PasswordFileOpt = None, as_json: JsonOpt = False,
) -> None:
    """Create a job: its spec pinned by hash, genesis head from the spec's seed, escrow funded."""
    h = resolve_home(home)
    job_spec = load_spec(preset, spec)
    warning = tolerance_delta_warning(job_spec)
    if warning:
        typer.echo(warning, err=True)
    owner = signing_account(h, wallet, dev_account, password_file)
    ledger = open_ledger(h, rpc, deployment).ledger
    terms = JobTerms(reward_per_claim=parse_eth(reward), verifier_fee=parse_eth(fee), quorum=quorum,
                     max_votes=max_votes, submit_window=submit_window, verify_window=verify_window)
    created = create_job(ledger, owner, job_spec, terms, parse_eth(escrow), home=h)
    if as_json:
        print_json(created)
        return
    typer.echo(f"job {created['job_id']} created: spec {created['spec_hash']}, genesis head {created['genesis_head']}")
    typer.echo(f"escrow {format_eth(created['escrow_wei'])} ETH; spec saved to {h / 'jobs' / str(created['job_id'])}")


@job_app.command("fund")
@user_errors
def fund(job_id: Annotated[int, typer.Argument(help="job id")],
         amount: Annotated[str, typer.Option(help="ETH to add")],
         home: HomeOpt = None, rpc: RpcOpt = None, deployment: DeploymentOpt = None, wallet: WalletOpt = None,
         dev_account: DevAccountOpt = None, password_file: PasswordFileOpt = None) -> None:
    """Add escrow to a job (anyone may)."""
    h = resolve_home(home)
    account = signing_account(h, wallet, dev_account, password_file)
    ledger = open_ledger(h, rpc, deployment).ledger
    receipt = ledger.send(account, "fund", job_id, value=parse_eth(amount))
    escrow = ledger.call("getJob", job_id)[2]
    typer.echo(f"funded job {job_id} with {amount} ETH (tx {receipt['transactionHash'].to_0x_hex()}); "
               f"escrow now {format_eth(escrow)} ETH")


@job_app.command("show")
@user_errors
def show(job_id: Annotated[int, typer.Argument(help="job id")],
         home: HomeOpt = None, rpc: RpcOpt = None, deployment: DeploymentOpt = None,
         as_json: JsonOpt = False) -> None:
    """Spec hash, head, round, escrow left and claims so far."""
    h = resolve_home(home)
    session = open_ledger(h, rpc, deployment)
    summary = job_summary(session.ledger, job_id)
    claims = [e["args"] for e in session.ledger.events(session.deployment.block, names=["ClaimFinalized"])
              if e["args"]["jobId"] == job_id]
    summary["claims_finalized"] = {name: sum(1 for c in claims if c["status"] == code)
                                   for code, name in ((2, "accepted"), (3, "rejected"), (4, "expired"))}
    if as_json:
        print_json(summary)
        return
    for key, value in summary.items():
        if key.endswith("_wei") or key in ("reward_per_claim", "verifier_fee", "min_worker_stake",
                                            "min_verifier_stake", "worker_slash", "verifier_slash"):
            value = f"{format_eth(value)} ETH"
        typer.echo(f"{key:>20}: {value}")
