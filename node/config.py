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


class DeploymentRetired(DeploymentMissing):
    """The deployment file names a v1 ledger (first-come majority votes): retired, never spoken to."""


LEDGER_VERSION = 2


@dataclass(frozen=True)
class Deployment:
    """What a node needs to find the ledger: written by `gradchain devnet up` (or by hand for a real chain)."""

    chain_id: int
    address: str
    block: int  # deployment block: event scans start here
    rpc_url: str
    # 2: LedgerV2 (contracts/src/v2/, PROTOCOL.md v2), the only ledger. A file saying 1 (or, written before v2
    # existed, nothing) names a retired v1 ledger and is refused on load.
    ledger_version: int = LEDGER_VERSION

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
        except (ValueError, KeyError, TypeError) as exc:
            raise DeploymentMissing(
                f"deployment file {path} is malformed ({exc}); expected chain_id, address, block, rpc_url"
                f" and ledger_version {LEDGER_VERSION}"
            ) from exc
        if deployment.ledger_version == 1:
            how = "says ledger_version 1" if "ledger_version" in data else "has no ledger_version, so it is v1"
            raise DeploymentRetired(
                f"deployment file {path} {how}: ledger v1 is retired and no command speaks to it any more; "
                "redeploy with `gradchain devnet up` (it deploys LedgerV2) and use the deployment file it writes"
            )
        if deployment.ledger_version != LEDGER_VERSION:
            raise DeploymentMissing(f"deployment file {path} says ledger_version {deployment.ledger_version}; "
                                    f"this gradchain speaks ledger_version {LEDGER_VERSION} only")
        return deployment


def deployment_path(home: Path) -> Path:
    return home / "deployment.json"


def wallet_dir(home: Path) -> Path:
    return home / "wallets"
