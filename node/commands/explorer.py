"""`gradchain explorer`: serve the block explorer over the audit database.

With --live (the default when the deployment's RPC answers) a background thread keeps the database in step with
the chain by the audit's own resumable read (node/explorer/live_sync.py), so a page reload shows new claims.

Mount with `app.command("explorer")(explorer_command)` (node/cli.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from node.commands.common import DeploymentOpt, HomeOpt, RpcOpt, check_port, resolve_home, user_errors


def _rpc_answers(rpc_url: str) -> bool:
    """A quick probe for the live default: does the endpoint answer eth_chainId within 2 s?"""
    from node.audit.ingest import audit_web3

    try:
        audit_web3(rpc_url, 2.0).eth.chain_id
        return True
    except Exception:
        return False


@user_errors
def explorer_command(
    db: Annotated[Optional[Path], typer.Option("--db", help="audit database (default HOME/audit/audit.db)")] = None,
    home: HomeOpt = None,
    host: Annotated[str, typer.Option("--host", help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port to listen on")] = 8700,
    live: Annotated[Optional[bool], typer.Option(
        "--live/--no-live", help="keep the database in sync with the chain while serving (default: live when the "
                                 "deployment's RPC answers)")] = None,
    rpc: RpcOpt = None,
    deployment: DeploymentOpt = None,
    sync_every: Annotated[float, typer.Option("--sync-every", help="seconds between live syncs")] = 2.0,
) -> None:
    """Serve the ledger as the audit rebuilt it: heads, claims, transactions, blocks, votes, addresses, charts."""
    from node.api.server import QuietServer, server_config
    from node.audit.ingest import db_path_default
    from node.audit.run import AuditOptions
    from node.config import Deployment, DeploymentMissing, deployment_path
    from node.explorer.app import create_app
    from node.explorer.live_sync import LiveSync, sync_once
    from node.explorer.queries import AuditDbMissing

    check_port("--port", port, host)  # before uvicorn, whose own bind error is a multi-line log
    if sync_every <= 0:
        raise ValueError(f"--sync-every must be a positive number of seconds, got {sync_every}")
    h = resolve_home(home)
    path = db or db_path_default(h)
    syncer = None
    if live is not False:
        try:
            dep = Deployment.load(deployment or deployment_path(h))
        except DeploymentMissing:
            if live:
                raise
            dep = None
        rpc_url = rpc or (dep.rpc_url if dep else None)
        if dep is not None and rpc_url and (live or _rpc_answers(rpc_url)):
            opts = AuditOptions(home=h, db_path=path, rpc_url=rpc_url, deployment_file=deployment, artifacts=False)
            try:  # the first read in the foreground: with --live, a wrong --rpc or a reset chain fails here
                block = sync_once(opts, dep)
            except Exception as exc:
                if live:
                    raise
                typer.echo(f"note: not syncing live ({exc}); serving the database as it is", err=True)
            else:
                syncer = LiveSync(opts, dep, sync_every).start()
                typer.echo(f"live: synced to block {block:,} from {rpc_url}; syncing every {sync_every:g} s")
    try:
        app = create_app(path)
    except AuditDbMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(f"gradchain explorer on http://{host}:{port} (database {path}); Ctrl-C stops it")
    # The node's server settings: header and body deadlines against slow clients, bounded concurrency.
    try:
        QuietServer(server_config(app, host, port)).run()
    finally:
        if syncer is not None:
            syncer.stop()
