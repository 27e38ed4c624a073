"""`gradchain node run --role worker|verifier|aggregator` and `gradchain node status`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import httpx
import typer

from node.wallet.amounts import parse_eth

from .common import (DeploymentOpt, DevAccountOpt, HomeOpt, JsonOpt, PasswordFileOpt, RpcOpt, WalletOpt,
                     print_json, resolve_home, signing_account, user_errors)

node_app = typer.Typer(help="Run a node (worker, verifier or aggregator) and inspect it.", no_args_is_help=True)

ROLES = ("worker", "verifier", "aggregator")
CHEATS = ("skip-training",)


@node_app.command("run")
@user_errors
def run(
    role: Annotated[str, typer.Option(help="worker, verifier or aggregator")],
    job: Annotated[int, typer.Option(help="job id to work on")],
    spec: Annotated[Optional[Path], typer.Option(help="the job's spec file (default HOME/jobs/ID/spec.json)")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="this node's state and artifacts (default HOME/nodes/ROLE-ADDRESS)")] = None,
    host: Annotated[str, typer.Option(help="address the HTTP server binds")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port (0: any free port)")] = 0,
    public_url: Annotated[Optional[str], typer.Option(help="URL other nodes use to reach this one's artifacts")] = None,
    confirmations: Annotated[int, typer.Option(help="blocks to wait before acting on an event")] = 0,
    poll_interval: Annotated[float, typer.Option(help="seconds between chain polls")] = 0.3,
    keep_every: Annotated[int, typer.Option(help="worker: store every m-th checkpoint, regenerate the rest")] = 2,
    auto_stake: Annotated[Optional[str], typer.Option(help="stake this many ETH at start if below the job's minimum")] = None,
    cheat: Annotated[Optional[str], typer.Option(help="DEMO/TESTS ONLY: a dishonest worker (skip-training)")] = None,
    home: HomeOpt = None, rpc: RpcOpt = None, deployment: DeploymentOpt = None, wallet: WalletOpt = None,
    dev_account: DevAccountOpt = None, password_file: PasswordFileOpt = None,
) -> None:
    """Run one role until SIGTERM or Ctrl-C: follow the chain, do the role's work, serve artifacts over HTTP."""
    from node.roles.main import build_role
    from node.roles.runtime import NodeOptions, Runtime

    if role not in ROLES:
        raise ValueError(f"--role must be one of {', '.join(ROLES)}, got {role!r}")
    if cheat is not None and (role != "worker" or cheat not in CHEATS):
        raise ValueError(f"--cheat applies to workers only and must be one of {', '.join(CHEATS)}")
    h = resolve_home(home)
    account = signing_account(h, wallet, dev_account, password_file)
    options = NodeOptions(
        role=role, job_id=job, spec_file=spec or h / "jobs" / str(job) / "spec.json",
        data_dir=data_dir or h / "nodes" / f"{role}-{account.address.lower()}", home=h, account=account,
        rpc_url=rpc, deployment_file=deployment, host=host, port=port, public_url=public_url,
        confirmations=confirmations, poll_interval_s=poll_interval, keep_every=keep_every,
        auto_stake_wei=parse_eth(auto_stake) if auto_stake else 0, cheat=cheat)
    runtime = Runtime(options)
    role_loop = build_role(runtime)
    typer.echo(f"{role} {account.address} on job {job}: serving {runtime.public_url}, data in {options.data_dir}",
               err=True)
    runtime.run(role_loop.tick, on_start=role_loop.start, on_resume=getattr(role_loop, "resume", None))


@node_app.command("status")
@user_errors
def status(url: Annotated[str, typer.Option(help="the node's HTTP URL")] = "http://127.0.0.1:8600",
           as_json: JsonOpt = False) -> None:
    """What a running node reports: role, address, last block, its own counters."""
    try:
        info = httpx.get(f"{url.rstrip('/')}/status", timeout=5).json()
    except httpx.HTTPError as exc:
        raise ValueError(f"no node answers at {url}: {exc}") from None
    if as_json:
        print_json(info)
        return
    for key, value in info.items():
        typer.echo(f"{key:>17}: {value}")
