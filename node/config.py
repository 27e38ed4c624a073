"""Where a node keeps its files, and the deployment file every command reads to find the ledger."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

HOME_ENV = "GRADCHAIN_HOME"
PASSWORD_ENV = "GRADCHAIN_PASSWORD"


def gradchain_home(override: str | Path | None = None) -> Path:
    """`--home`, else $GRADCHAIN_HOME, else ~/.gradchain."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser() if env else Path.home() / ".gradchain"


class DeploymentMissing(FileNotFoundError):
    pass


@dataclass(frozen=True)
class Deployment:
    """What a node needs to find the ledger: written by `gradchain devnet up` (or by hand for a real chain)."""

    chain_id: int
    address: str
    block: int  # deployment block: event scans start here
    rpc_url: str
    # 1: GradchainLedger (contracts/src/*.sol); 2: LedgerV2 (contracts/src/v2/, PROTOCOL.md v2). Files written
    # before v2 existed have no field and are v1.
    ledger_version: int = 1

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "Deployment":
        if not path.is_file():
            raise DeploymentMissing(
                f"deployment file {path} not found: start a devnet with `gradchain devnet up`, "
                "or pass --deployment PATH"
            )
        try:
            data = json.loads(path.read_text())
            deployment = cls(chain_id=int(data["chain_id"]), address=str(data["address"]), block=int(data["block"]),
                       rpc_url=str(data["rpc_url"]), ledger_version=int(data.get("ledger_version", 1)))
            if deployment.ledger_version not in (1, 2):
                raise ValueError(f"ledger_version {deployment.ledger_version} is not 1 or 2")
            return deployment
        except (ValueError, KeyError, TypeError) as exc:
            raise DeploymentMissing(
                f"deployment file {path} is malformed ({exc}); expected chain_id, address, block, rpc_url"
                " (and optionally ledger_version 1 or 2)"
            ) from exc


def deployment_path(home: Path) -> Path:
    return home / "deployment.json"


def wallet_dir(home: Path) -> Path:
    return home / "wallets"
