"""What every command group shares: the common options, readable errors, home, wallet and key resolution."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from eth_account.signers.local import LocalAccount

from node.chain.client import unreachable_chain
from node.config import PASSWORD_ENV, DeploymentMissing, gradchain_home, wallet_dir
from node.wallet.keystore import WalletError, list_wallets
from node.wallet.password import unlock_account

HomeOpt = Annotated[Optional[Path], typer.Option("--home", help="gradchain home (default $GRADCHAIN_HOME or ~/.gradchain)")]
PasswordFileOpt = Annotated[
    Optional[Path],
    typer.Option("--password-file", help=f"read the keystore password from this file's first line "
                                         f"(else ${PASSWORD_ENV}, else a hidden prompt)"),
]
WalletOpt = Annotated[Optional[str], typer.Option("--wallet", "-w", help="wallet name (default: the only wallet)")]
RpcOpt = Annotated[Optional[str], typer.Option("--rpc", help="JSON-RPC URL (default: the deployment file's)")]
DeploymentOpt = Annotated[
    Optional[Path], typer.Option("--deployment", help="deployment file (default HOME/deployment.json)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output on stdout")]


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def user_errors(command: Callable) -> Callable:
    """Turn the errors a user can cause into one readable line and exit code 1 (a full disk: EXIT_DISK_FULL)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from node.chain.artifacts import ArtifactMissing
        from node.chain.errors import ChainError, ContractRevert
        from node.chain.foundry import FoundryMissing
        from node.chain.transport import ChainUnreachable
        from node.diskspace import EXIT_DISK_FULL, DiskFull, as_disk_full, is_disk_full
        from node.wallet.actions_v2 import explain

        try:
            # Every command's --port is range-checked here, so that one whose code lives elsewhere
            # (`devnet up`) refuses 70000 in one line too, before it starts anything.
            if isinstance(kwargs.get("port"), int) and kwargs["port"] not in PORT_RANGE:
                check_port("--port", kwargs["port"])
            return command(*args, **kwargs)
        except ContractRevert as exc:
            fail(f"{explain(exc)}; nothing was changed")
        except DiskFull as exc:
            fail(str(exc), EXIT_DISK_FULL)
        except (WalletError, ChainError, DeploymentMissing, ArtifactMissing, FoundryMissing, ValueError) as exc:
            fail(str(exc), getattr(exc, "exit_code", 1))  # preview.NoTerminal is a usage error: 2
        except ChainUnreachable as exc:  # the chain went away after connect() reached it
            fail(unreachable_chain(exc.url.rstrip("/")))
        except (KeyboardInterrupt, EOFError):
            fail("interrupted; nothing was changed")
        except Exception as exc:
            if is_disk_full(exc):  # e.g. SQLite could not create node.db before any role code ran
                fail(str(as_disk_full(exc, Path.cwd())), EXIT_DISK_FULL)
            if isinstance(exc, OSError):  # a file that cannot be read or written: name it, no traceback
                fail(f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc))
            raise

    return wrapper


PORT_RANGE = range(0, 65536)


def check_port(option: str, port: int, host: str = "127.0.0.1") -> None:
    """Refuse, before anything starts, a port out of range or one that another process already listens on."""
    import socket

    if port not in PORT_RANGE:
        raise ValueError(f"{option} {port} is out of range: expected 0-65535 (0: any free port)")
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As uvicorn binds: SO_REUSEADDR, so a port left in TIME_WAIT by an earlier run still counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ValueError(f"{option} {port}: cannot listen on {host}:{port} ({exc.strerror}); choose "
                             "another port, or 0 for any free one") from None


def resolve_home(home: Path | None) -> Path:
    return gradchain_home(home)


def pick_wallet(home: Path, name: str | None, how: str = "--wallet NAME") -> str:
    if name:
        return name
    wallets = list_wallets(home)
    if len(wallets) == 1:
        return wallets[0].name
    if not wallets:
        raise WalletError(f"no wallets in {wallet_dir(home)}: create one with `gradchain wallet new NAME`")
    names = ", ".join(w.name for w in wallets)
    raise WalletError(f"several wallets in {wallet_dir(home)} ({names}): choose one with {how}")


def unlock(home: Path, name: str, password_file: Path | None):
    # A typo at the prompt is asked again; a wrong password from a file or the environment fails at once.
    return unlock_account(home, name, password_file)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))



DevAccountOpt = Annotated[Optional[int], typer.Option(
    "--dev-account", help="use anvil dev account N (PUBLIC key): local devnet only, never a real chain")]


def signing_account(home: Path, wallet: str | None, dev_account_index: int | None,
                    password_file: Path | None) -> LocalAccount:
    """The key a command signs with: a keystore wallet, or, only when asked for explicitly, a dev account."""
    if dev_account_index is not None:
        if wallet:
            raise ValueError("choose one of --wallet and --dev-account")
        from node.chain.devaccounts import dev_account

        return dev_account(dev_account_index)
    return unlock(home, pick_wallet(home, wallet), password_file)
