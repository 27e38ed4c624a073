"""`gradchain job create|fund|show`: what a job owner does."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Optional

import typer

from node.chain.v2.terms import JobTermsV2
from node.jobs import create_job, tolerance_delta_warning
from node.network_readiness import read_readiness
from node.wallet.amounts import format_eth, parse_eth
from node.wallet.session import open_ledger

from .common import (DeploymentOpt, DevAccountOpt, HomeOpt, JsonOpt, PasswordFileOpt, RpcOpt, WalletOpt,
                     print_json, resolve_home, signing_account, user_errors)

job_app = typer.Typer(help="Create, fund and inspect training jobs.", no_args_is_help=True)

PRESETS = ("digits", "digits-wasm")


def load_spec(preset: str | None, spec_file: Path | None):
    from prover.spec import JobSpec

    if (preset is None) == (spec_file is None):
        raise ValueError("give exactly one of --preset NAME and --spec FILE")
    if spec_file is not None:
        if not spec_file.is_file():
            raise ValueError(f"--spec {spec_file}: no such file (expected a job spec JSON)")
        return JobSpec.from_json(spec_file.read_bytes())
    if preset == "digits":
        from prover.presets import digits_network_spec

        return digits_network_spec()
    if preset == "digits-wasm":  # the same job stepped by the wasm module a browser runs too (issue 17)
        from prover.presets import digits_wasm_network_spec

        return digits_wasm_network_spec()
    raise ValueError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")


Eth = Optional[str]  # an amount option: ETH as typed, parsed with parse_eth; None: the terms' default
Count = Optional[int]


@job_app.command("create")
@user_errors
def create(
    preset: Annotated[Optional[str], typer.Option(help=f"built-in spec: {', '.join(PRESETS)}")] = None,
    spec: Annotated[Optional[Path], typer.Option("--spec", help="job spec JSON file")] = None,
    escrow: Annotated[str, typer.Option(help="ETH to escrow now")] = "10",
    reward: Annotated[Eth, typer.Option(help="ETH paid per accepted claim")] = None,
    quorum: Annotated[Count, typer.Option(help="approvals needed to accept a claim")] = None,
    submit_window: Annotated[Count, typer.Option(help="blocks a round accepts claims")] = None,
    verify_window: Annotated[Count, typer.Option(help="blocks the committee approves a claim")] = None,
    approval_fee: Annotated[Eth, typer.Option(help="ETH paid to each approver of an accepted claim")] = None,
    committee_size: Annotated[Count, typer.Option(help="committee members drawn per claim (D)")] = None,
    jury_size: Annotated[Count, typer.Option(help="jurors drawn per dispute (J)")] = None,
    samples_per_member: Annotated[Count, typer.Option(help="segments each member samples (s)")] = None,
    claim_bond: Annotated[Eth, typer.Option(help="worker stake locked per claim")] = None,
    approval_bond: Annotated[Eth, typer.Option(help="verifier stake locked per approval")] = None,
    challenge_bond: Annotated[Eth, typer.Option(help="verifier stake locked per challenge")] = None,
    juror_bond: Annotated[Eth, typer.Option(help="verifier stake locked per juror commitment")] = None,
    head_bond: Annotated[Eth, typer.Option(help="verifier stake locked per head proposal")] = None,
    expiry_penalty: Annotated[Eth, typer.Option(help="taken from the claim bond of an expired claim")] = None,
    miss_penalty: Annotated[Eth, typer.Option(help="taken from a drawn member that neither approved nor "
                                                   "challenged")] = None,
    challenge_window: Annotated[Count, typer.Option(help="blocks of challenges-only after voting")] = None,
    commit_window: Annotated[Count, typer.Option(help="blocks jurors commit verdicts")] = None,
    reveal_window: Annotated[Count, typer.Option(help="blocks jurors reveal verdicts")] = None,
    head_window: Annotated[Count, typer.Option(help="blocks a head proposal can be challenged")] = None,
    max_claims_per_round: Annotated[Count, typer.Option(help="claims a round accepts")] = None,
    max_redraws: Annotated[Count, typer.Option(help="fresh juries after too few reveals")] = None,
    compute_price: Annotated[str, typer.Option(help="ETH a CPU-hour costs its owner: prices the §8 checks "
                                               "(PROTOCOL.md) of the terms")] = "0.01",
    segment_cpu_s: Annotated[Optional[float], typer.Option(min=0.0, help="CPU-seconds of one k-step segment, "
                                                           "from a benchmark (default: measured here, "
                                                           "a few seconds)")] = None,
    sentinel_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="share of claims your sentinel plants "
                                                 "as faults (0: none; blind approval then goes undeterred)")] = 0.0,
    home: HomeOpt = None, rpc: RpcOpt = None, deployment: DeploymentOpt = None, wallet: WalletOpt = None,
    dev_account: DevAccountOpt = None, password_file: PasswordFileOpt = None, as_json: JsonOpt = False,
) -> None:
    """Create a job: its spec pinned by hash, genesis head from the spec's seed, escrow funded.

    Terms not given take JobTermsV2's defaults (node/chain/v2/terms.py).
    """
    given = {k: v for k, v in locals().items() if k in TERM_OPTIONS and v is not None}
    if preset is not None:  # the preset's claim and sample sizes go together: 10% verification share
        from prover.presets import NETWORK_SAMPLES_PER_MEMBER

        given.setdefault("samples_per_member", NETWORK_SAMPLES_PER_MEMBER)
    h = resolve_home(home)
    job_spec = load_spec(preset, spec)
    warning = tolerance_delta_warning(job_spec)
    if warning:
        typer.echo(warning, err=True)
    owner = signing_account(h, wallet, dev_account, password_file)
    ledger = open_ledger(h, rpc, deployment).ledger
    terms = job_terms(given)
    figures = check_economics(job_spec, terms, parse_eth(compute_price), segment_cpu_s, sentinel_rate, as_json)
    created = create_job(ledger, owner, job_spec, terms, parse_eth(escrow), home=h)
    # Verifiers usually stake after the job exists, so missing seats are a warning here, not a refusal; `job show`
    # and the worker (which waits instead of submitting claims that must expire) repeat it until they exist.
    readiness = read_readiness(ledger, created["job_id"])
    if as_json:
        print_json({**created, "economics": figures, "network": readiness.as_json()})
        return
    typer.echo(f"job {created['job_id']} created: spec {created['spec_hash']}, genesis head {created['genesis_head']}")
    typer.echo(f"escrow {format_eth(created['escrow_wei'])}; spec saved to {h / 'jobs' / str(created['job_id'])}")
    for problem in filter(None, [readiness.stall(), *readiness.warnings()]):
        typer.echo("warning: " + problem, err=True)


def check_economics(spec, terms: JobTermsV2, eth_per_cpu_hour: int, segment_cpu_s: float | None,
                    sentinel_rate: float, quiet: bool) -> dict:
    """PROTOCOL.md §8 (node/economics.py): refuse terms that make cheating, blind approval or false challenges
    pay, naming the inequality and the smallest value that satisfies it; print the figures otherwise."""
    from node import economics

    shape = economics.shape_of(spec, terms)
    if segment_cpu_s is None:
        segment_cpu_s = economics.measure_segment(spec, shape.k)
    compute = economics.Compute(segment_cpu_s, eth_per_cpu_hour // 3600, sentinel_rate)
    failures = economics.check(shape, terms, compute)
    if failures:
        raise ValueError("job terms break PROTOCOL.md §8, nothing was sent:\n" + "\n".join(
            f"  {f.rule}: {f.detail}" for f in failures))
    for line in economics.warnings(shape, compute):
        typer.echo("warning: " + line, err=True)
    figures = economics.summary(shape, terms, compute)
    if not quiet:
        typer.echo(f"compute: {segment_cpu_s:.3f} CPU-s per {shape.k}-step segment at "
                   f"{format_eth(eth_per_cpu_hour)}/CPU-hour: {shape.steps} steps cost "
                   f"{format_eth(figures['work_wei'])}, a member's {shape.samples} replays "
                   f"{format_eth(figures['replay_wei'])}")
        typer.echo(f"verification share D·s·k/H: {figures['verification_share']:.1%}")
        for name, p in figures["p_detect"].items():
            typer.echo(f"P(detect) with {name} faked: {p:.3f}; a cheater's expected loss per claim "
                       f"{format_eth(figures['cheater_expected_loss_wei'][name])}")
        typer.echo(f"a blind approver's expected loss per claim: "
                   f"{format_eth(figures['blind_approver_expected_loss_wei'])} (sentinel rate {sentinel_rate:g})")
    return figures


# option parameter -> JobTermsV2 field; every other JobTermsV2 field keeps its default
TERMS = {"reward": "reward_per_claim", **{name: name for name in (
    "approval_fee", "committee_size", "quorum", "jury_size", "samples_per_member", "claim_bond", "approval_bond",
    "challenge_bond", "juror_bond", "head_bond", "expiry_penalty", "miss_penalty", "submit_window",
    "verify_window", "challenge_window", "commit_window", "reveal_window", "head_window", "max_claims_per_round",
    "max_redraws")}}
TERM_OPTIONS = set(TERMS)


def job_terms(given: dict) -> JobTermsV2:
    # Amount options are typed as ETH strings, counts and windows as ints (see the option types above).
    return JobTermsV2(**{TERMS[p]: parse_eth(v) if isinstance(v, str) else v for p, v in given.items()})


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
    escrow = ledger.job(job_id).escrow
    typer.echo(f"funded job {job_id} with {amount} ETH (tx {receipt['transactionHash'].to_0x_hex()}); "
               f"escrow now {format_eth(escrow)}")


@job_app.command("show")
@user_errors
def show(job_id: Annotated[int, typer.Argument(help="job id")],
         home: HomeOpt = None, rpc: RpcOpt = None, deployment: DeploymentOpt = None,
         as_json: JsonOpt = False) -> None:
    """Spec hash, head, round, escrow left and claims so far."""
    h = resolve_home(home)
    show_job(open_ledger(h, rpc, deployment), job_id, as_json)


AMOUNTS = ("reward_per_claim", "approval_fee", "expiry_penalty", "miss_penalty", "escrow", "reserved")


def _is_amount(name: str) -> bool:
    return name in AMOUNTS or name.endswith("_bond")


def _named(struct) -> dict:
    """A typed view (views.py dataclass) as {field: value}, bytes as 0x-hex."""
    return {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in dataclasses.asdict(struct).items()}


def show_job(session, job_id: int, as_json: bool) -> None:
    """JobParams and JobState by field name, and the job's finalized claims by ClaimStatus name."""
    from node.chain.v2.views import ClaimStatus

    ledger = session.ledger
    params, state = _named(ledger.job_params(job_id)), _named(ledger.job(job_id))
    finalized = ledger.contract.events.ClaimFinalized().get_logs(
        from_block=session.deployment.block, argument_filters={"jobId": job_id})
    counts = {s.name.lower(): 0 for s in (ClaimStatus.ACCEPTED, ClaimStatus.REJECTED, ClaimStatus.EXPIRED)}
    for log in finalized:
        counts[ClaimStatus(log["args"]["status"]).name.lower()] += 1
    readiness = read_readiness(ledger, job_id)
    if as_json:
        print_json({"job_id": job_id, "ledger_version": 2, "params": params, "state": state,
                    "claims_finalized": counts, "network": readiness.as_json()})
        return
    typer.echo(f"job {job_id}")
    for title, fields in (("params", params), ("state", state)):
        typer.echo(f"{title}:")
        for key, value in fields.items():
            typer.echo(f"{key:>22}: {format_eth(value) if _is_amount(key) else value}")
    typer.echo("claims finalized: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    typer.echo(f"network: {readiness.seats} seats (committee {readiness.committee_size}, quorum {readiness.quorum}, "
               f"jury {readiness.jury_size})")
    for line in readiness.lines():
        typer.echo("  " + line)
