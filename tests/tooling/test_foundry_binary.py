"""node/chain/foundry.py and scripts/foundry.sh find the real Foundry binaries and never the npm wrapper."""
from __future__ import annotations

import os
import subprocess

import pytest

from node.chain.foundry import FoundryMissing, foundry_binary, is_npm_wrapper, platform_suffix
from repo_copy import REPO

FAILING_CAST = ["to-uint256", "not-a-number"]  # cast rejects it with a non-zero status


@pytest.mark.parametrize("system, machine, suffix", [
    ("Linux", "x86_64", "linux-amd64"), ("Linux", "aarch64", "linux-arm64"),
    ("Darwin", "x86_64", "darwin-amd64"), ("Darwin", "arm64", "darwin-arm64"),
])
def test_platform_suffix_matches_the_npm_package_names(system, machine, suffix):
    assert platform_suffix(system, machine) == suffix
    # the wrapper package lists exactly these platform packages as its optional dependencies
    assert f'"@foundry-rs/forge-{suffix}"' in (REPO / "node_modules/@foundry-rs/forge/package.json").read_text()


def test_an_unknown_platform_is_refused_by_name():
    with pytest.raises(FoundryMissing, match="Windows/AMD64"):
        platform_suffix("Windows", "AMD64")


@pytest.mark.parametrize("name", ["forge", "cast", "anvil"])
def test_the_resolved_binary_is_the_platform_package_not_the_wrapper(name):
    path = foundry_binary(name)
    assert path == REPO / "node_modules" / "@foundry-rs" / f"{name}-{platform_suffix()}" / "bin" / name
    assert not is_npm_wrapper(path)
    assert is_npm_wrapper(REPO / "node_modules" / ".bin" / name)


def test_the_resolved_binary_reports_a_failure():
    done = subprocess.run([str(foundry_binary("cast")), *FAILING_CAST], capture_output=True, timeout=60)
    assert done.returncode != 0, done


def test_a_wrapper_on_path_is_refused_when_the_npm_package_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(REPO / "node_modules" / ".bin"))
    with pytest.raises(FoundryMissing, match=r"forge not found at .*npm wrapper.*run scripts/setup.sh"):
        foundry_binary("forge", root=tmp_path)


def test_a_real_binary_on_path_is_the_fallback(tmp_path, monkeypatch):
    bindir = tmp_path / "foundry-bin"
    bindir.mkdir()
    (bindir / "forge").symlink_to(foundry_binary("forge"))
    monkeypatch.setenv("PATH", str(bindir))
    assert foundry_binary("forge", root=tmp_path / "no-checkout") == bindir / "forge"


def _shell_resolve(cwd, path_env: str) -> subprocess.CompletedProcess:
    script = f'source {REPO / "scripts/foundry.sh"} && echo "$FORGE|$CAST|$ANVIL"'
    return subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=30,
                          env={**os.environ, "PATH": path_env})


def test_foundry_sh_exports_the_platform_binaries():
    done = _shell_resolve(REPO, os.environ["PATH"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().split("|") == [str(foundry_binary(n)) for n in ("forge", "cast", "anvil")]


def test_foundry_sh_refuses_the_wrapper_and_fails(tmp_path):
    # /usr/bin and /bin for bash's own tools; the wrapper directory first, as a careless PATH would have it
    done = _shell_resolve(tmp_path, f"{REPO / 'node_modules' / '.bin'}:/usr/bin:/bin")
    assert done.returncode != 0, done.stdout
    assert "error: forge not found at" in done.stderr and "run scripts/setup.sh" in done.stderr, done.stderr
