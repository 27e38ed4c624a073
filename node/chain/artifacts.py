"""Contract ABI and bytecode, read from forge's build output: the single source of truth (never retyped)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT_DIR = REPO_ROOT / "contracts" / "out"


class ArtifactMissing(FileNotFoundError):
    """The forge artifact is not there: the contracts were not built."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict]
    bytecode: str  # 0x-prefixed creation code


def out_dir() -> Path:
    return Path(os.environ.get("GRADCHAIN_CONTRACTS_OUT", DEFAULT_OUT_DIR))


def load_artifact(name: str) -> Artifact:
    """Load `contracts/out/<name>.sol/<name>.json` as written by `forge build`."""
    path = out_dir() / f"{name}.sol" / f"{name}.json"
    if not path.is_file():
        raise ArtifactMissing(
            f"contract artifact {path} not found: run scripts/setup.sh (it runs `forge build`)"
        )
    data = json.loads(path.read_text())
    return Artifact(name=name, abi=data["abi"], bytecode=data["bytecode"]["object"])
