"""`gradchain`: one program for every role (devnet, job, node, wallet, audit, demo)."""
from __future__ import annotations

import os
import sys
# Before anything can load torch: MKL's thread-count-invariant mode must be set before its first matmul, or
# honest replays can differ in the last bits (prover/determinism.py explains).
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

import typer  # noqa: E402

app = typer.Typer(help="gradchain: a proof-of-useful-work ledger that pays for verified gradient steps.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


def _mount_subcommands() -> None:
    # Each command group lives in its own module; mounted here so `gradchain --help` lists them all.
    from node.commands.audit import audit_command
    from node.commands.devnet import devnet_app
    from node.commands.explorer import explorer_command
    from node.commands.job import job_app
    from node.commands.node_run import node_app
    from node.wallet.cli import wallet_app

    app.add_typer(devnet_app, name="devnet")
    app.add_typer(job_app, name="job")
    app.add_typer(node_app, name="node")
    app.add_typer(wallet_app, name="wallet", help="Keystores, balances, staking and reward withdrawals.")
    app.command("audit")(audit_command)
    app.command("explorer")(explorer_command)


@app.command("demo")
def demo(home: str = typer.Option(None, help="keep the demo's files here (default: a new temp dir)"),
         rounds: int = typer.Option(3, help="rounds to run"),
         workers: int = typer.Option(3, help="honest workers (beside the one cheater)"),
         verifiers: int = typer.Option(6, help="verifiers, 2 of them colluding with the cheater"),
         timeout: float = typer.Option(300, help="give up after this many seconds"),
         adversaries: bool = typer.Option(False, "--adversaries", help="run the whole cast of adversaries (lazy, "
                                          "colluding and griefing verifiers, faking, withholding and junk workers, a "
                                          "bogus-head aggregator) and a sentinel; print who gained and who lost")) -> None:
    """Run a whole network locally (LedgerV2, PROTOCOL.md v2): devnet, job, 3 honest workers, 1 cheater,
    6 verifiers of which 2 collude with the cheater, 1 aggregator. With --adversaries: the rational adversaries
    of PROTOCOL.md §10 against an honest network and a job owner's sentinel."""
    import sys

    from rich.console import Console

    from node.demo import run_demo

    # Piped into a log (CI), rich would wrap the closing tables at 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=140)
    from node.demo import Cast

    try:
        Cast.of(workers, verifiers)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if adversaries:
        from node.demo_adversaries import run_adversaries_demo

        raise typer.Exit(run_adversaries_demo(home, rounds, max(timeout, 900), console))
    raise typer.Exit(run_demo(home, rounds, timeout, console, workers, verifiers))


def main() -> None:
    _mount_subcommands()
    try:
        app()
    except SystemExit as exc:
        from node.commands import node_run

        if node_run.stopped_cleanly:
            # A node that stopped on SIGTERM has committed everything it keeps (SQLite, outbox) and closed its
            # server: skip the interpreter's teardown of torch and the rest (about 0.9 s here), so that stopping
            # a node takes well under a second (issue 15). Only from this entry point, never under a test runner.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exc.code if isinstance(exc.code, int) else 0)
        raise


if __name__ == "__main__":
    main()
