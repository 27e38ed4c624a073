"""`gradchain devnet up|down|status|fund`: a local anvil with a state file and the ledger deployed on it."""
from __future__ import annotations

from typing import Annotated

import typer

from node import devnet as devnet_lib
from node.config import deployment_path

from .common import DeploymentOpt, HomeOpt, JsonOpt, RpcOpt, print_json, resolve_home, user_errors

devnet_app = typer.Typer(help="A local dev chain (anvil) with the ledger deployed.", no_args_is_help=True)


@devnet_app.command("up")
@user_errors
def up(home: HomeOpt = None,
       port: Annotated[int, typer.Option(help="JSON-RPC port")] = 8545,
       block_time: Annotated[float, typer.Option(help="seconds per block (fractions allowed)")] = 0.5,
       as_json: JsonOpt = False) -> None:
    """Start anvil in the background (resuming its saved state) and deploy LedgerV2 if needed."""
    h = resolve_home(home)
    deployment = devnet_lib.up(h, port=port, block_time=block_time)
    if as_json:
        print_json({**deployment.__dict__, "deployment_file": str(deployment_path(h))})
        return
    typer.echo(f"devnet up at {deployment.rpc_url} (chain {deployment.chain_id})")
    typer.echo(f"ledger {deployment.address} deployed in block {deployment.block}")
    typer.echo(f"deployment file: {deployment_path(h)}")


@devnet_app.command("down")
@user_errors
def down(home: HomeOpt = None) -> None:
    """Stop anvil; its state is saved and `devnet up` resumes it."""
    stopped = devnet_lib.down(resolve_home(home))
    typer.echo("devnet stopped; state saved" if stopped else "no devnet was running")


@devnet_app.command("status")
@user_errors
def status(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Whether the devnet runs, its block height and the ledger address."""
    info = devnet_lib.status(resolve_home(home))
    if as_json:
        print_json(info)
        return
    for key, value in info.items():
        typer.echo(f"{key:>15}: {value}")
    if not info["running"]:
        raise typer.Exit(1)


@devnet_app.command("fund")
@user_errors
def fund(recipient: Annotated[str, typer.Argument(help="0x address, or the name of a wallet under --home")],
         eth: Annotated[str, typer.Option("--eth", help="ETH to send")] = "10",
         home: HomeOpt = None, rpc: RpcOpt = None, deployment: DeploymentOpt = None, as_json: JsonOpt = False) -> None:
    """Faucet: send ETH to an address or wallet from the devnet's first dev account (a local anvil only)."""
    from node.devnet_faucet import fund_from_faucet
    from node.wallet.amounts import format_eth

    funded = fund_from_faucet(resolve_home(home), recipient, eth, rpc, deployment)
    if as_json:
        print_json(funded)
        return
    typer.echo(f"sent {format_eth(funded['amount_wei'])} to {funded['address']}"
               + (f" (wallet {funded['wallet']})" if funded["wallet"] else "")
               + f": balance {format_eth(funded['balance_wei'])}; tx {funded['tx_hash']}")
