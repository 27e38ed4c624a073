"""`gradchain explorer`: serve the block explorer over the audit database.

Mount with `app.command("explorer")(explorer_command)` (node/cli.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from node.commands.common import HomeOpt, check_port, resolve_home, user_errors


@user_errors
def explorer_command(
    db: Annotated[Optional[Path], typer.Option("--db", help="audit database (default HOME/audit/audit.db)")] = None,
    home: HomeOpt = None,
    host: Annotated[str, typer.Option("--host", help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port to listen on")] = 8700,
) -> None:
    """Serve the ledger as the audit rebuilt it: heads, claims, votes, addresses and a metrics chart."""
    import uvicorn

    from node.api.server import server_config
    from node.audit.ingest import db_path_default
    from node.explorer.app import create_app
    from node.explorer.queries import AuditDbMissing

    check_port("--port", port, host)  # before uvicorn, whose own bind error is a multi-line log
    path = db or db_path_default(resolve_home(home))
    try:
        app = create_app(path)
    except AuditDbMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(f"gradchain explorer on http://{host}:{port} (database {path}); Ctrl-C stops it")
    # The node's server settings: header and body deadlines against slow clients, bounded concurrency.
    uvicorn.Server(server_config(app, host, port)).run()
