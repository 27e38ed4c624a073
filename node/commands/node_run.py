"""`gradchain node run --role worker|verifier|aggregator|sentinel|gateway` and `gradchain node status`."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import httpx
import typer

from node.wallet.amounts import parse_eth

from .common import (DeploymentOpt, DevAccountOpt, HomeOpt, JsonOpt, PasswordFileOpt, RpcOpt, WalletOpt,
                     check_port, print_json, resolve_home, signing_account, user_errors)

node_app = typer.Typer(help="Run a node (worker, verifier, aggregator or sentinel) and inspect it.",
                       no_args_is_help=True)

ROLES = ("worker", "verifier", "aggregator", "sentinel", "gateway")
GATEWAY_QUOTA = "64MB"  # per contributor address, unless --upload-quota says otherwise
stopped_cleanly = False  # set once `node run` returned after SIGTERM/Ctrl-C, everything committed
# DEMO/TESTS ONLY: the adversaries the protocol must defeat, by role.
CHEATS = {"worker": ("skip-training", "fake-withhold", "junk"), "verifier": ("lazy", "collude", "grief"),
          "aggregator": ("bogus-head",)}


@node_app.command("run")
@user_errors
def run(
    role: Annotated[str, typer.Option(help="worker, verifier, aggregator, sentinel (a job owner's verifier that "
                                      "plants faults, so that approving without replaying loses money), or gateway "
                                      "(serves the contributor page at /contribute for a wasm job)")],
    job: Annotated[int, typer.Option(help="job id to work on")],
    spec: Annotated[Optional[Path], typer.Option(help="the job's spec file (default HOME/jobs/ID/spec.json)")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="this node's state and artifacts (default HOME/nodes/ROLE-ADDRESS)")] = None,
    host: Annotated[str, typer.Option(help="address the HTTP server binds")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port (0: any free port)")] = 0,
    public_url: Annotated[Optional[str], typer.Option(help="URL other nodes use to reach this one's artifacts")] = None,
    confirmations: Annotated[int, typer.Option(help="blocks to wait before acting on an event (0 reads the newest "
                                               "block, whose logs a node may not have indexed yet)")] = 1,
    poll_interval: Annotated[float, typer.Option(help="seconds between chain polls")] = 0.3,
    keep_every: Annotated[int, typer.Option(help="worker: store every m-th checkpoint, regenerate the rest on "
                                                 "request (CPU for disk: 1 stores them all)")] = 1,
    auto_stake: Annotated[Optional[str], typer.Option(help="stake this many ETH at start if below the job's minimum")] = None,
    cheat: Annotated[Optional[str], typer.Option(help="DEMO/TESTS ONLY: a dishonest node: worker skip-training, "
                                                 "fake-withhold, junk; verifier lazy (replays nothing: "
                                                 "approves all, votes all sound), collude (approves all, or "
                                                 "--partner's claims, judges nothing faulty), grief (challenges "
                                                 "honest claims); "
                                                 "aggregator bogus-head (also withholds the approvals relayed to it)")] = None,
    cheat_from_round: Annotated[int, typer.Option(min=0, help="DEMO/TESTS ONLY: with --cheat, behave honestly "
                                                  "before this round")] = 0,
    until_round: Annotated[Optional[int], typer.Option(min=0, help="worker: claim only in rounds before this one, "
                                                       "then keep serving its evidence until stopped")] = None,
    peer: Annotated[Optional[list[str]], typer.Option(help="aggregator: a verifier's URL to fetch approved results "
                                                      "from when the worker does not serve them (repeatable)")] = None,
    relay: Annotated[Optional[str], typer.Option(help="verifier (v2): an aggregator's URL to hand signed approvals "
                                                 "to for its approveBatch (one transaction for many); approves "
                                                 "directly if it is down or they are not on chain in time")] = None,
    partner: Annotated[Optional[list[str]], typer.Option(help="DEMO/TESTS ONLY: with --cheat collude, the worker "
                                                         "address whose claims it approves blindly and covers as "
                                                         "a juror (repeatable; others it verifies honestly)")] = None,
    rate: Annotated[Optional[float], typer.Option(help="sentinel: share of the job's claims to plant as faults "
                                                  "(default 0.05; price it with `job create --sentinel-rate`)")] = None,
    planted_wallet: Annotated[Optional[list[str]], typer.Option(help="sentinel: a keystore wallet to plant faults "
                                                                "under (repeatable; same --password-file)")] = None,
    planted_dev_account: Annotated[Optional[list[int]], typer.Option(help="sentinel, devnet and tests: a dev "
                                                                     "account index to plant faults under")] = None,
    plant_from_round: Annotated[int, typer.Option(min=0, help="sentinel: plant nothing before this round")] = 0,
    yes: Annotated[bool, typer.Option("--yes", help="worker: agree to the job's terms without a prompt (recorded "
                                      "in HOME/consent.json); accepted and ignored by other roles")] = False,
    max_threads: Annotated[Optional[int], typer.Option(min=1, help="at most this many torch CPU threads (default: "
                                                       "this node's share of the cores among the nodes running "
                                                       "under this --home)")] = None,
    device: Annotated[Optional[str], typer.Option(help="worker: cpu, or cuda (when present; tolerance-mode jobs)")] = None,
    max_disk: Annotated[Optional[str], typer.Option(help="worker: cap on stored artifacts, e.g. 2GB (old finalized "
                                                    "claims are pruned first)")] = None,
    schedule: Annotated[Optional[str], typer.Option(help="worker: daily windows to train in, e.g. "
                                                    "09:00-12:00,22:00-06:00 (local time)")] = None,
    only_when_idle: Annotated[Optional[bool], typer.Option("--only-when-idle/--any-load", help="worker: train only "
                                                           "while other processes leave the CPU idle")] = None,
    idle_threshold: Annotated[Optional[float], typer.Option(help="worker: % of all cores other processes may use "
                                                            "while the machine still counts as idle (default 25)")] = None,
    idle_grace: Annotated[Optional[float], typer.Option(help="worker: seconds the machine must stay idle before "
                                                        "training starts or resumes (default 60)")] = None,
    reset_state: Annotated[bool, typer.Option("--reset-state", help="if this node's database was built on another "
                                              "chain, move it aside (kept as node.db.TIME.old) and start afresh "
                                              "instead of refusing")] = False,
    accept_uploads_from: Annotated[Optional[str], typer.Option(help="accept signed artifact uploads from these "
                                                               "peers only: ADDRESS[,ADDRESS...] (off by "
                                                               "default)")] = None,
    upload_quota: Annotated[Optional[str], typer.Option(help="with --accept-uploads-from: bytes each peer may store "
                                                        "here, e.g. 200MB (counted across restarts)")] = None,
    plain: Annotated[bool, typer.Option("--plain", help="no live panel: one plain, timestamped line per event (the "
                                        "default when stdout is not a terminal)")] = False,
    log_file: Annotated[Optional[Path], typer.Option(help="also append the event lines to this file (its "
                                                     "directories are created)")] = None,
    home: HomeOpt = None, rpc: RpcOpt = None, deployment: DeploymentOpt = None, wallet: WalletOpt = None,
    dev_account: DevAccountOpt = None, password_file: PasswordFileOpt = None,
) -> None:
    """Run one role until SIGTERM or Ctrl-C: follow the chain, do the role's work, serve artifacts over HTTP.

    Exit status: 0 when stopped, 1 for a user error, 74 when the disk filled up (free space and run it again:
    it carries on where it stopped).
    """
    from node.diskspace import disk_full_as_error
    from node.roles.main import build_role
    from node.roles.runtime import NodeOptions, Runtime

    if role not in ROLES:
        raise ValueError(f"--role must be one of {', '.join(ROLES)}, got {role!r}")
    if cheat is not None and cheat not in CHEATS.get(role, ()):
        raise ValueError(f"--cheat for a {role} must be one of {', '.join(CHEATS.get(role, ()))}, got {cheat!r}")
    # A spec given explicitly must be there; the default one may appear later (`job create` writes it).
    if spec is not None and not spec.is_file():
        raise ValueError(f"--spec {spec}: no such file (expected the job's spec JSON)")
    check_port("--port", port, host)
    from node.console.sink import open_log_file

    log = open_log_file(log_file) if log_file is not None else None  # a path it cannot write fails here, first
    h = resolve_home(home)
    from node.numerics_env import apply_spec_numerics  # before anything below can load torch

    apply_spec_numerics(spec or h / "jobs" / str(job) / "spec.json")
    worker_flags = {"max_threads": max_threads, "device": device, "max_disk_bytes": max_disk, "schedule": schedule,
                    "only_when_idle": only_when_idle, "idle_threshold": idle_threshold, "idle_grace_s": idle_grace}
    extra: dict[str, Any] = {}
    if cheat_from_round and cheat is None:
        raise ValueError("--cheat-from-round needs --cheat")
    if until_round is not None and role != "worker":
        raise ValueError("--until-round applies to workers only")
    if role == "worker":
        extra = worker_extra(h, yes, worker_flags)
        extra["until_round"] = until_round
        if max_disk is not None:
            extra["max_disk_source"] = "--max-disk"
    elif any(v is not None for k, v in worker_flags.items() if k != "max_threads"):
        raise ValueError("--device, --max-disk, --schedule, --only-when-idle, --idle-threshold and --idle-grace "
                         f"apply to workers only, not to a {role}")
    else:
        extra["max_threads"] = max_threads
    if relay is not None:
        if role != "verifier":
            raise ValueError(f"--relay applies to verifiers only, not to a {role}")
        if not relay.startswith(("http://", "https://")):
            raise ValueError(f"--relay {relay!r}: expected an aggregator's http(s):// URL")
        extra["relay"] = relay
    extra["cheat_from_round"] = cheat_from_round
    if partner:
        if cheat != "collude":
            raise ValueError("--partner needs --cheat collude")
        extra["partners"] = tuple(check_address("--partner", a) for a in partner)
    sentinel_flags = rate is not None or planted_wallet or planted_dev_account or plant_from_round
    if sentinel_flags and role != "sentinel":
        raise ValueError(f"--rate, --planted-wallet, --planted-dev-account and --plant-from-round apply to a "
                         f"sentinel only, not to a {role}")
    if role == "gateway":  # its uploads come from staked workers' pages, each within the quota
        if accept_uploads_from is not None:
            raise ValueError("a gateway takes uploads from every address with a worker stake: drop "
                             "--accept-uploads-from (--upload-quota sets each address's share)")
        upload_peers, upload_quota_bytes = (), upload_quota_bytes_of(upload_quota or GATEWAY_QUOTA)
    else:
        upload_peers, upload_quota_bytes = upload_settings(accept_uploads_from, upload_quota)
    account = signing_account(h, wallet, dev_account, password_file)
    if role == "sentinel":
        extra.update(sentinel_extra(h, rate, planted_wallet or [], planted_dev_account or [], password_file))
        extra["plant_from_round"] = plant_from_round
    options = NodeOptions(
        role=role, job_id=job, spec_file=spec or h / "jobs" / str(job) / "spec.json",
        data_dir=data_dir or h / "nodes" / f"{role}-{account.address.lower()}", home=h, account=account,
        rpc_url=rpc, deployment_file=deployment, host=host, port=port, public_url=public_url,
        confirmations=confirmations, poll_interval_s=poll_interval, keep_every=keep_every,
        auto_stake_wei=parse_eth(auto_stake) if auto_stake else 0, cheat=cheat, reset_state=reset_state, extra=extra,
        upload_peers=upload_peers, upload_quota_bytes=upload_quota_bytes, peers=tuple(peer or ()))
    with disk_full_as_error(options.data_dir):  # creating node.db on a full disk
        runtime = Runtime(options)
    role_loop = build_role(runtime)
    typer.echo(f"{role} {account.address} on job {job}: serving {runtime.public_url}, data in {options.data_dir}",
               err=True)
    from node.console.attach import attach, detach

    console = attach(runtime, role_loop, plain=plain, log=log)  # event lines, the live panel, /status earnings
    try:
        runtime.run(role_loop.tick, on_start=role_loop.start, on_resume=getattr(role_loop, "resume", None),
                    may_warm_up=getattr(role_loop, "may_warm_up", None))
    finally:
        detach(console)
    global stopped_cleanly
    stopped_cleanly = True  # node/cli.py main: exit without the interpreter's teardown


def sentinel_extra(home: Path, rate: float | None, wallets: list[str], dev_indices: list[int],
                   password_file: Path | None) -> dict[str, Any]:
    from node.roles.v2.sentinel import DEFAULT_RATE

    rate = DEFAULT_RATE if rate is None else rate
    if not 0 < rate < 1:
        raise ValueError(f"--rate {rate:g}: expected a share of claims between 0 and 1 (e.g. 0.05)")
    accounts = [signing_account(home, name, None, password_file) for name in wallets]
    accounts += [signing_account(home, None, index, None) for index in dev_indices]
    if not accounts:
        raise ValueError("a sentinel plants faults under addresses of its own: pass --planted-wallet NAME "
                         "(or, on a devnet, --planted-dev-account N)")
    return {"sentinel_rate": rate, "planted_accounts": accounts}


def check_address(flag: str, value: str) -> str:
    from eth_utils import is_address, to_checksum_address

    if not is_address(value):
        raise ValueError(f"{flag} {value!r}: expected a 0x-prefixed 20-byte address")
    return to_checksum_address(value)


def discovered_url(home: Path) -> str:
    """The URL of the one node running under `home` (node/host_share.py); with none or several, say what to do."""
    from node.host_share import running_nodes

    nodes = running_nodes(home)
    if len(nodes) == 1:
        return nodes[0]["url"]
    if not nodes:
        raise ValueError(f"no node is running under {home} (start one with `gradchain node run`, or pass --url)")
    listed = "; ".join(f"{n['role']} {n['address']} at {n['url']}" for n in nodes)
    raise ValueError(f"{len(nodes)} nodes are running under {home}: pass --url, one of: {listed}")


def upload_quota_bytes_of(quota: str) -> int:
    from node.worker_policy.settings import parse_size

    try:
        quota_bytes = parse_size(quota)
    except ValueError as exc:
        raise ValueError(f"--upload-quota: {exc}") from None
    if quota_bytes <= 0:
        raise ValueError(f"--upload-quota {quota} must be more than 0 bytes")
    return quota_bytes


def upload_settings(accept_from: str | None, quota: str | None) -> tuple[tuple[str, ...], int]:
    """(peers, quota in bytes) from the two flags; both or neither, so no node accepts uploads without a cap."""
    from node.api.upload_auth import parse_peers

    if accept_from is None and quota is None:
        return (), 0
    if accept_from is None or quota is None:
        raise ValueError("--accept-uploads-from and --upload-quota go together: name the peers and how much each "
                         "may store (e.g. --accept-uploads-from 0xABC... --upload-quota 200MB)")
    quota_bytes = upload_quota_bytes_of(quota)
    try:
        peers = parse_peers(p for p in accept_from.split(",") if p.strip())
    except ValueError as exc:
        raise ValueError(f"--accept-uploads-from: {exc}") from None
    return tuple(sorted(peers)), quota_bytes


def worker_extra(home: Path, yes: bool, flags: dict) -> dict[str, Any]:
    """The worker's settings (flags over HOME/worker.toml) and how it may ask for consent."""
    from node.worker_policy.settings import config_path, load_settings

    settings = load_settings(home, yes=True if yes else None, **flags)
    ask = None
    if sys.stdin.isatty():
        def ask(summary: str) -> bool:
            return typer.confirm(f"{summary}\n\nAgree, and let this machine work on these terms?", default=False,
                                 err=True)
    return {"worker_settings": settings, "ask": ask, "max_disk_source": f"max_disk in {config_path(home)}",
            "yes_source": "--yes" if yes else f"yes = true in {config_path(home)}"}


@node_app.command("status")
@user_errors
def status(url: Annotated[Optional[str], typer.Option(help="the node's HTTP URL (default: the node running under "
                                                      "--home, found in HOME/run)")] = None,
           as_json: JsonOpt = False, home: HomeOpt = None) -> None:
    """What a running node reports: role, address, last block, its own counters."""
    url = url or discovered_url(resolve_home(home))
    try:
        info = httpx.get(f"{url.rstrip('/')}/status", timeout=5).json()
    except httpx.HTTPError as exc:
        raise ValueError(f"no node answers at {url}: {exc}") from None
    if as_json:
        print_json(info)
        return
    details = info.pop("details", {}) or {}
    for key, value in info.items():
        typer.echo(f"{key:>22}: {value}")
    earnings = details.pop("earnings", None)
    net = details.pop("net_earnings", None)
    progress = details.pop("training_progress", None)
    for key, value in details.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        typer.echo(f"{key:>22}: {value}")
    if progress:
        from node.console.panel import training_status_text

        typer.echo(f"{'training':>22}: {training_status_text(progress)}")
    if net:
        from node.console.earnings import earnings_text

        typer.echo(f"{'net earnings':>22}: {earnings_text(net)}")
    if earnings:
        typer.echo("earnings".rjust(22) + ":")
        for key, value in earnings.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            typer.echo(f"{key:>22}: {value}")
