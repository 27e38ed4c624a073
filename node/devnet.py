"""A local dev chain that outlives the command that started it: anvil with a state file, plus the ledger."""
from __future__ import annotations

import json
import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from .chain.anvil import Anvil
from .chain.anvil_process import alive, find_devnet_anvil, is_devnet_anvil
from .chain.client import connect
from .chain.devaccounts import dev_account
from .chain.errors import ChainError
from .chain.v2.deploy import deploy_ledger_v2
from .config import Deployment, DeploymentRetired, deployment_path

DEFAULT_UNBONDING_DELAY_BLOCKS = 20
DEFAULT_SEAT_STAKE_WEI = 10**18 // 2  # a verifier stake of at least this holds a seat (committees, juries)


@dataclass(frozen=True)
class DevnetPaths:
    home: Path

    def __post_init__(self) -> None:
        # Absolute, because anvil's --state argument is compared with it from other working directories.
        object.__setattr__(self, "home", Path(self.home).resolve())

    @property
    def dir(self) -> Path:
        return self.home / "devnet"

    @property
    def state(self) -> Path:
        return self.dir / "anvil-state.json"

    @property
    def pid(self) -> Path:
        return self.dir / "anvil.pid"

    @property
    def log(self) -> Path:
        return self.dir / "anvil.log"

    @property
    def meta(self) -> Path:
        return self.dir / "devnet.json"


def _meta_port(paths: DevnetPaths) -> int | None:
    try:
        return int(json.loads(paths.meta.read_text())["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_pid(paths: DevnetPaths) -> int | None:
    """The devnet's anvil pid, checked against the process's command line; None if it does not run.

    A pid file naming anything else (anvil gone, its pid reused) is stale and removed; a running anvil whose
    pid file was lost is found by its --state/--port and recorded again."""
    port = _meta_port(paths)
    if paths.pid.is_file():
        text = paths.pid.read_text().strip()
        if text.isdigit() and is_devnet_anvil(int(text), port, paths.state):
            return int(text)
        paths.pid.unlink(missing_ok=True)
    pid = find_devnet_anvil(port, paths.state)
    if pid is not None:
        paths.pid.write_text(str(pid))
    return pid


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def up(home: Path, port: int = 8545, block_time: float | None = 0.5,
       unbonding_delay_blocks: int = DEFAULT_UNBONDING_DELAY_BLOCKS,
       seat_stake_wei: int = DEFAULT_SEAT_STAKE_WEI) -> Deployment:
    """Start anvil (resuming its state file if there is one) and deploy LedgerV2 unless already deployed."""
    paths = DevnetPaths(home)
    paths.dir.mkdir(parents=True, exist_ok=True)
    pid = running_pid(paths)
    if pid is not None:
        raise ChainError(f"a devnet is already running in {home} (anvil pid {pid}); "
                         f"stop it with `gradchain devnet down --home {home}` first")
    if port and _port_in_use(port):
        raise ChainError(f"port {port} is already in use by another program (not this devnet's anvil): "
                         "free it or pass --port PORT")
    chain = Anvil(log_path=paths.log, port=port, block_time=block_time, state_path=paths.state)
    url = chain.start()
    # The real anvil binary (node/chain/foundry.py), so the Popen pid is anvil's own, not a wrapper's.
    paths.pid.write_text(str(chain.process.pid))
    paths.meta.write_text(json.dumps({"rpc_url": url, "port": chain.port, "block_time": block_time}))
    try:
        w3 = connect(url)
        existing = _existing_deployment(home, w3)
        if existing is not None:
            return existing
        ledger, receipt = deploy_ledger_v2(w3, dev_account(0), unbonding_delay_blocks, seat_stake_wei)
    except BaseException:
        chain.stop()  # a devnet that could not deploy must not linger in the background
        paths.pid.unlink(missing_ok=True)
        raise
    deployment = Deployment(chain_id=w3.eth.chain_id, address=ledger.address, block=receipt["blockNumber"],
                            rpc_url=url)
    deployment.save(deployment_path(home))
    return deployment


def _existing_deployment(home: Path, w3) -> Deployment | None:
    path = deployment_path(home)
    if not path.is_file():
        return None
    try:
        deployment = Deployment.load(path)
    except DeploymentRetired:
        # A v1 ledger (retired): kept aside, and LedgerV2 is deployed on the same chain in its place.
        path.replace(path.with_name(path.name + ".v1-retired"))
        return None
    if w3.eth.get_code(deployment.address) in (b"", None) or deployment.chain_id != w3.eth.chain_id:
        return None  # a stale file from a chain whose state is gone
    return deployment


def down(home: Path, timeout_s: float = 15.0) -> bool:
    """SIGTERM anvil (it writes its state file on the way out). Returns False if none was running."""
    paths = DevnetPaths(home)
    pid = running_pid(paths)  # only ever a process checked to be this devnet's anvil
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid) and is_devnet_anvil(pid, _meta_port(paths), paths.state):
        os.kill(pid, signal.SIGKILL)  # hung: its state is as old as the last --state-interval dump
    paths.pid.unlink(missing_ok=True)
    return True


def status(home: Path) -> dict:
    paths = DevnetPaths(home)
    pid = running_pid(paths)
    result: dict = {"running": pid is not None, "pid": pid, "state_file": str(paths.state)}
    if deployment_path(home).is_file():
        deployment = Deployment.load(deployment_path(home))
        result.update(ledger=deployment.address, rpc_url=deployment.rpc_url, chain_id=deployment.chain_id,
                      deployed_block=deployment.block)
        if pid is not None:
            try:
                result["block"] = connect(deployment.rpc_url).eth.block_number
            except ChainError as exc:
                result["error"] = str(exc)
    return result
