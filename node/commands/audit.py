"""`gradchain audit`: rebuild the ledger from chain events into SQLite and check every payment and head.

Mount with `app.command("audit")(audit_command)` (node/cli.py).
Exit codes: 0 every check passed; 1 a check failed; 2 the audit could not finish (the RPC endpoint failed
mid-read: run it again to resume; or a wrong --rpc/--deployment/--db), nothing was judged; 3 with --strict,
something could not be verified (an artifact server down, a spec file missing).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from node.commands.common import DeploymentOpt, HomeOpt, JsonOpt, RpcOpt, resolve_home

EXIT_INCOMPLETE = 2


def audit_command(
    rpc: RpcOpt = None,
    deployment: DeploymentOpt = None,
    home: HomeOpt = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="audit database (default HOME/audit/audit.db); "
                                               "an interrupted read resumes from it")] = None,
    as_json: JsonOpt = False,
    reverify: Annotated[int, typer.Option("--reverify", min=0, help="replay N randomly chosen accepted claims "
                                          "in full")] = 0,
    reverify_seed: Annotated[Optional[int], typer.Option("--reverify-seed", help="seed of the random choice "
                                                         "(printed in the report, to repeat a run)")] = None,
    page_blocks: Annotated[int, typer.Option("--page-blocks", min=1, help="blocks per eth_getLogs page")] = 2000,
    spec: Annotated[Optional[list[Path]], typer.Option(
        "--spec", help="a job spec file; repeat for several jobs (matched by specHash; default "
                       "HOME/jobs/<id>/spec.json)")] = None,
    rpc_timeout: Annotated[float, typer.Option("--rpc-timeout", help="seconds per JSON-RPC request")] = 10.0,
    rpc_retries: Annotated[int, typer.Option("--rpc-retries", min=0, help="retries per request before the "
                                             "read stops (resumable)")] = 2,
    to_block: Annotated[Optional[int], typer.Option("--to-block", help="audit the ledger as of this block "
                                                    "(default: the latest)")] = None,
    artifacts: Annotated[bool, typer.Option("--artifacts/--no-artifacts", help="fetch artifacts to check specs, "
                                            "heads and --reverify replays (off: those checks are skipped)")] = True,
    strict: Annotated[bool, typer.Option("--strict", help="exit 3 when anything could not be verified")] = False,
) -> None:
    """Rebuild the ledger from chain events and check it: votes, credits, ETH, heads, and (--reverify) replays."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from node.audit.db import AuditDbError
    from node.audit.ingest import RpcInterrupted, db_path_default
    from node.audit.report import render
    from node.audit.run import AuditOptions, run_audit
    from node.chain.errors import ChainError
    from node.config import DeploymentMissing

    h = resolve_home(home)
    opts = AuditOptions(home=h, db_path=db or db_path_default(h), rpc_url=rpc, deployment_file=deployment,
                        spec_files=list(spec or []), page_blocks=page_blocks, reverify=reverify,
                        reverify_seed=reverify_seed, rpc_timeout_s=rpc_timeout, rpc_retries=rpc_retries,
                        to_block=to_block, artifacts=artifacts)
    err = Console(stderr=True)
    progress = Progress(TextColumn("reading blocks"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=err, transient=True)
    task = progress.add_task("read", total=None)
    try:
        with progress:
            report = run_audit(opts, progress=lambda done, total: progress.update(task, completed=done, total=total))
    except RpcInterrupted as exc:
        err.print(f"[bold red]audit interrupted[/]: {exc}", soft_wrap=True)
        err.print("no check was judged: the report of an incomplete read would not mean anything")
        raise typer.Exit(EXIT_INCOMPLETE)
    except (ChainError, DeploymentMissing, AuditDbError, ValueError) as exc:
        err.print(f"[bold red]error[/]: {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_INCOMPLETE)
    if as_json:
        typer.echo(report.dumps())
    else:
        render(report, Console())
    raise typer.Exit(report.exit_code(strict))
