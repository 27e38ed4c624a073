"""Where the real Foundry binaries (forge, cast, anvil) are: the npm install's platform package, else PATH.

Never the npm wrapper in node_modules/.bin: it is a node script that exits 0 whatever the tool returns, and
its pid is not the tool's, so exit statuses and pid files taken through it lie. scripts/foundry.sh is the
shell twin of this module; keep the two in step.
"""
from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

from .artifacts import REPO_ROOT

TOOLS = ("forge", "cast", "anvil")

# platform.system() / platform.machine() -> the suffix of the npm packages @foundry-rs/<tool>-<os>-<arch>
# (the names in node_modules/@foundry-rs/<tool>/package.json's optionalDependencies).
_OS = {"Linux": "linux", "Darwin": "darwin"}
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "AMD64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class FoundryMissing(FileNotFoundError):
    """No usable forge/cast/anvil binary: the npm install is missing and PATH has no real Foundry."""


def platform_suffix(system: str | None = None, machine: str | None = None) -> str:
    """'linux-amd64', 'linux-arm64', 'darwin-amd64' or 'darwin-arm64' for this (or the given) machine."""
    system = platform.system() if system is None else system
    machine = platform.machine() if machine is None else machine
    if system not in _OS or machine not in _ARCH:
        raise FoundryMissing(
            f"no Foundry npm package for {system}/{machine}: expected Linux or Darwin on x86_64 or arm64"
        )
    return f"{_OS[system]}-{_ARCH[machine]}"


def npm_binary(name: str, root: Path = REPO_ROOT) -> Path:
    """node_modules/@foundry-rs/<name>-<platform>/bin/<name>: the binary the npm wrapper would run."""
    suffix = platform_suffix()
    return root / "node_modules" / "@foundry-rs" / f"{name}-{suffix}" / "bin" / name


def is_npm_wrapper(path: Path) -> bool:
    """True for the npm shim (anything in a node_modules/.bin, or a node script), which hides exit statuses."""
    resolved = path.resolve()
    for p in (path, resolved):
        if p.parent.name == ".bin" and p.parent.parent.name == "node_modules":
            return True
    try:
        with open(resolved, "rb") as f:
            head = f.read(128)
    except OSError:
        return False
    if not head.startswith(b"#!"):
        return False  # a compiled binary
    shebang = head.split(b"\n", 1)[0]
    return b"node" in shebang


def foundry_binary(name: str, root: Path = REPO_ROOT) -> Path:
    """Path of the real `name` binary (forge, cast, anvil): the repo's npm platform package, then PATH."""
    if name not in TOOLS:
        raise ValueError(f"unknown Foundry tool {name!r}: expected one of {', '.join(TOOLS)}")
    local = npm_binary(name, root)
    if local.is_file() and os.access(local, os.X_OK):
        return local
    found = shutil.which(name)
    if found and not is_npm_wrapper(Path(found)):
        return Path(found)
    rejected = f" ({found} is the npm wrapper, which hides exit statuses)" if found else ""
    raise FoundryMissing(f"{name} not found at {local} nor on PATH{rejected}: run scripts/setup.sh")
