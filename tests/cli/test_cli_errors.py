"""Mistakes on the command line end in one readable line on stderr and a non-zero status, never a traceback.

Each case runs the real CLI as a subprocess, as a user would, against a home with no chain: every check
here must refuse before anything needs one.
"""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def gradchain(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "node.cli", *args, "--home", str(home)], capture_output=True,
                          text=True, timeout=120, cwd=REPO, stdin=subprocess.DEVNULL)


def assert_one_line_error(result: subprocess.CompletedProcess, *names: str) -> str:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and all(n in lines[0] for n in names), lines[0]
    return lines[0]


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def test_missing_spec_file_for_node_run(home):
    line = assert_one_line_error(gradchain("node", "run", "--role", "worker", "--job", "1", "--spec", "/nope",
                                           home=home), "--spec /nope", "no such file")
    assert "spec JSON" in line


def test_missing_spec_file_for_job_create(home):
    assert_one_line_error(gradchain("job", "create", "--spec", "/nope/spec.json", home=home),
                          "--spec /nope/spec.json", "no such file")


@pytest.mark.parametrize("port", ["70000", "-1"])
@pytest.mark.parametrize("command", [("node", "run", "--role", "verifier", "--job", "1"), ("explorer",),
                                     ("devnet", "up")])
def test_port_out_of_range(home, command, port):
    line = assert_one_line_error(gradchain(*command, "--port", port, home=home), f"--port {port}", "0-65535")
    assert "out of range" in line
    assert not (home / "devnet").exists(), "devnet up started something before refusing"


@pytest.fixture
def held_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("command", [("node", "run", "--role", "verifier", "--job", "1"), ("explorer",)])
def test_port_in_use(home, held_port, command):
    line = assert_one_line_error(gradchain(*command, "--port", str(held_port), home=home),
                                 f"--port {held_port}", f"127.0.0.1:{held_port}")
    assert "in use" in line.lower() and "choose another port" in line


@pytest.mark.parametrize("version", [1, None], ids=["ledger_version-1", "no-ledger_version"])
def test_a_v1_deployment_file_is_refused_naming_the_file_and_the_way_out(home, version):
    import json

    fields = {"chain_id": 31337, "address": "0x" + "11" * 20, "block": 1, "rpc_url": "http://127.0.0.1:9"}
    if version is not None:
        fields["ledger_version"] = version
    home.mkdir(parents=True)
    (home / "deployment.json").write_text(json.dumps(fields))
    for command in (("job", "show", "1"), ("wallet", "balance", "--address", "0x" + "22" * 20), ("audit",)):
        result = gradchain(*command, home=home)
        assert result.returncode != 0 and "Traceback" not in result.stderr + result.stdout, result.stderr
        message = " ".join(result.stderr.split())
        assert str(home / "deployment.json") in message, message
        assert "v1 is retired" in message and "gradchain devnet up" in message, message


def test_new_deployment_files_say_ledger_version_2(tmp_path):
    import json

    from node.config import Deployment

    path = tmp_path / "deployment.json"
    Deployment(chain_id=1, address="0x" + "11" * 20, block=1, rpc_url="http://127.0.0.1:9").save(path)
    assert json.loads(path.read_text())["ledger_version"] == 2
    assert Deployment.load(path).ledger_version == 2


@pytest.mark.parametrize("args, names", [
    (("--role", "verifier", "--cheat", "junk"), ("--cheat for a verifier", "lazy, collude, grief", "'junk'")),
    (("--role", "verifier", "--partner", "0x" + "11" * 20), ("--partner needs --cheat collude",)),
    (("--role", "sentinel", "--dev-account", "9", "--rate", "1.5"), ("--rate 1.5", "between 0 and 1")),
    (("--role", "sentinel", "--dev-account", "9"), ("--planted-wallet NAME", "--planted-dev-account N")),
])
def test_adversary_and_sentinel_flags_are_checked_before_anything_starts(home, args, names):
    assert_one_line_error(gradchain("node", "run", "--job", "1", *args, home=home), *names)


def test_node_status_without_url_finds_no_node_and_says_how_to_start_one(home):
    assert_one_line_error(gradchain("node", "status", home=home), "no node is running under", "gradchain node run",
                          "--url")
