"""README.md's "Running a node" section, typed as a new user would (issue 16): every line of its code block, in
order, in a fresh home, on real pseudo-terminals: devnet, faucet, wallets, stakes, a job, three verifiers, an
aggregator and a worker, until the worker's reward is credited and withdrawn; then the ETH that arrived is checked
against the chain to the wei (the credit, less the withdraw transaction's gas).

The commands are read from README.md, never copied here: a README line that stops working fails this test.
`node run` lines (which serve until Ctrl-C) run in the background, each on its own terminal, as the README says;
every other line runs to completion, with `Sign and send? [y/N]` answered y as a user at a terminal would."""
from __future__ import annotations

import os
import re
import shlex
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pty_session import PtySession, plain, run_in_pty
from waiting import wait_for

pytestmark = pytest.mark.network

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
GRADCHAIN = REPO / ".venv" / "bin" / "gradchain"  # what `source .venv/bin/activate` puts on PATH
SECTION = "## Running a node"
SIGN_PROMPT = r"Sign and send\? \[y/N\]"
CONSENT_PROMPT = r"Agree, and let this machine work on these terms\? \[y/N\]"
TRACEBACK = "Traceback (most recent call last)"
CREDIT_TIMEOUT_S = 240  # from the last `node run` to the worker's first credited reward, on two busy cores


def readme_node_lines() -> list[str]:
    """The lines of the first indented code block of the README's "Running a node" section, comments and blank
    lines dropped (shlex drops comments: a `#` inside quotes stays)."""
    text = README.read_text()
    assert SECTION in text, f"{README} has no {SECTION!r} section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    block, started = [], False
    for line in section.splitlines():
        if line.startswith("    "):
            started = True
            block.append(line.strip())
        elif started and line.strip():
            break  # the block ends at the first unindented, non-blank line
    commands = [line for line in block if shlex.split(line, comments=True)]
    assert commands, f"no indented code block in {README}'s {SECTION!r} section"
    return commands


@dataclass
class Step:
    line: str  # as the README has it
    argv: list[str]  # `gradchain` resolved, a trailing `&` dropped

    @property
    def words(self) -> list[str]:
        return self.argv[1:]

    def is_(self, *words: str) -> bool:
        return self.words[:len(words)] == list(words)

    def option(self, name: str) -> str | None:
        return self.words[self.words.index(name) + 1] if name in self.words else None


def parse(line: str) -> Step:
    words = shlex.split(line, comments=True)
    if words[-1] == "&":
        words = words[:-1]
    assert words[0] == "gradchain", f"README line {line!r} does not start with gradchain"
    return Step(line, [str(GRADCHAIN), *words[1:]])


class Node:
    """One `node run` line on its own terminal. Its output is read on every pump: a pty nobody reads fills up
    and blocks the node's writes. A consent prompt (the worker's) is answered y, as its owner would."""

    def __init__(self, step: Step, env: dict[str, str]):
        self.step = step
        self.session = PtySession(step.argv, env=env)
        self.consented = False

    @property
    def text(self) -> str:
        return plain(self.session.output)

    def pump(self) -> None:
        self.session._read(0.02)
        if not self.consented and re.search(CONSENT_PROMPT, self.text):
            self.session.send("y")
            self.consented = True
        assert self.session.proc.poll() is None, \
            f"`{self.step.line}` exited {self.session.proc.returncode}:\n{self.text[-3000:]}"

    def stop(self) -> int:
        """Ctrl-C, as its owner would press it; the exit status."""
        if self.session.proc.poll() is None:
            self.session.interrupt()
        return self.session.wait(60)


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_readme_node_section_from_nothing_to_withdrawn_reward(tmp_path):
    from node.devnet import status as devnet_status
    from node.host_share import running_nodes
    from node.wallet.keystore import wallet_address
    from node.wallet.session import open_ledger

    steps = [parse(line) for line in readme_node_lines()]
    node_steps = [s for s in steps if s.is_("node", "run")]
    workers = [s for s in node_steps if s.option("--role") == "worker"]
    assert workers and all(s.option("--wallet") for s in workers), "the README runs no worker with --wallet NAME"
    worker_wallet = workers[0].option("--wallet")
    # The README's ports are fixed (a user's machine has them free); here another program may hold one.
    ports = [int(s.option("--port") or (8545 if s.is_("devnet", "up") else 0)) for s in steps]
    ports = [p for p in ports if p]
    busy = [p for p in ports if not port_free(p)]
    assert not busy, f"ports {busy} that the README's commands use are taken by another program on this machine"

    home = tmp_path / "home"
    env = {**os.environ, "GRADCHAIN_HOME": str(home), "GRADCHAIN_PASSWORD": "readme-pass",
           "GRADCHAIN_KDF_N": "1024",  # test only: fast scrypt for the keystores `wallet new` writes
           "PYTHONUNBUFFERED": "1"}
    env.pop("GRADCHAIN_FAILPOINT", None)
    nodes: list[Node] = []
    outputs: dict[str, str] = {}  # README line -> what its terminal showed
    ledger = None

    def pump_nodes() -> None:
        for node in nodes:
            node.pump()

    def worker_credit() -> int:
        pump_nodes()
        return ledger.credit(wallet_address(home, worker_wallet))

    def all_serving() -> bool:
        pump_nodes()
        return len(running_nodes(home)) == len(nodes)

    started = time.monotonic()
    withdrawn_at = None
    credit_before = None
    anvil_left_running = None
    timings: list[tuple[float, float, str]] = []  # (seconds since the first line, seconds it took, the line)
    try:
        for step in steps:
            if step.is_("node", "run"):
                nodes.append(Node(step, env))
                continue
            if nodes:  # a user types on once every node's terminal says it is serving
                wait_for(all_serving, 180, "every `node run` of the README to serve HTTP", poll_s=0.5)
            if step.is_("devnet", "down"):  # a user stops the nodes (Ctrl-C in each terminal) before the chain
                for node in nodes:
                    assert node.stop() == 0, f"`{node.step.line}` did not stop cleanly on Ctrl-C:\n{node.text[-3000:]}"
                    outputs[node.step.line] = node.text
            if ledger is None and (home / "deployment.json").is_file():
                ledger = open_ledger(home).ledger
            if nodes and credit_before is None and (step.is_("wallet", "balance") or step.is_("wallet", "withdraw")):
                # A user waits here for the round to settle: the claim approved, finalized and its reward credited.
                try:
                    credit_before = wait_for(worker_credit, CREDIT_TIMEOUT_S,
                                             f"a credited reward for {worker_wallet}", poll_s=0.5)
                except AssertionError as exc:  # say what each node was doing (CI keeps only this message)
                    raise AssertionError(f"{exc}\n" + "\n".join(
                        f"--- `{n.step.line.split('#')[0].strip()}`, last lines:\n" + "\n".join(
                            n.text.splitlines()[-25:]) for n in nodes)) from None
            line_started = time.monotonic()
            status, out = run_with_nodes(step, env, pump_nodes)
            timings.append((time.monotonic() - started, time.monotonic() - line_started, step.line))
            outputs[step.line] = out
            assert status == 0, f"README line `{step.line}` exited {status}:\n{out[-3000:]}"
            assert TRACEBACK not in out, f"README line `{step.line}` printed a traceback:\n{out}"
            if step.is_("wallet", "withdraw"):
                withdrawn_at = time.monotonic()
                check_withdrawal(ledger, wallet_address(home, worker_wallet), out, credit_before)
            if step.is_("wallet", "balance") and credit_before is not None:
                check_balance_shows_credit(ledger, wallet_address(home, worker_wallet), out)
            if step.is_("devnet", "down"):
                anvil_left_running = devnet_status(home)["running"]
    finally:
        for node in nodes:
            outputs.setdefault(node.step.line, node.text)
            node.session.close()
        if devnet_status(home).get("running"):
            run_in_pty([str(GRADCHAIN), "devnet", "down"], env=env, timeout_s=60)
        # Every terminal's text, kept with the test's tmp_path for whoever reads a failure.
        (tmp_path / "terminals.txt").write_text("".join(f"$ {line}\n{text}\n" for line, text in outputs.items()))

    assert withdrawn_at is not None, "the README's node section never runs `gradchain wallet withdraw`"
    print(f"\nREADME node section: {len(steps)} lines, first line to withdrawal {withdrawn_at - started:.1f} s")
    for at, took, line in timings:
        print(f"  {at:6.1f} s  {took:5.1f} s  {line.split('#')[0].strip()}")

    # What each node's owner saw on its terminal: readable events, no Python traceback.
    for step in node_steps:
        assert TRACEBACK not in outputs[step.line], f"`{step.line}` printed a traceback:\n{outputs[step.line]}"
    worker_out = outputs[workers[0].line]
    assert re.search(CONSENT_PROMPT, worker_out) and "consent: prompt" in worker_out, worker_out[-3000:]
    assert re.search(r"claim \d+ submitted for round \d+", worker_out), worker_out[-3000:]
    assert re.search(r"reward credited", worker_out), worker_out[-3000:]
    verifier_out = [outputs[s.line] for s in node_steps if s.option("--role") == "verifier"]
    assert any(re.search(r"replayed claim \d+", out) for out in verifier_out), verifier_out
    assert anvil_left_running is False, "the README's last line should be `gradchain devnet down`, stopping anvil"


def run_with_nodes(step: Step, env: dict[str, str], pump_nodes) -> tuple[int, str]:
    """run_in_pty, while the background nodes' terminals keep being read (a node blocked on a full pty would
    stall the very round the line waits for)."""
    import threading

    done = threading.Event()

    def keep_pumping() -> None:
        while not done.is_set():
            try:
                pump_nodes()
            except AssertionError:
                return  # reported by the main loop's next pump
            time.sleep(0.2)

    pumper = threading.Thread(target=keep_pumping, daemon=True)
    pumper.start()
    try:
        return run_in_pty(step.argv, answers=[(SIGN_PROMPT, "y")], timeout_s=180, env=env)
    finally:
        done.set()
        pumper.join(5)


def check_balance_shows_credit(ledger, address: str, out: str) -> None:
    """`wallet balance` shows the credit the ledger held at the block it read, in ETH."""
    from node.wallet.amounts import format_eth

    m = re.search(r"\(block (\d+), ledger v2\)", out)
    assert m, f"wallet balance named no block:\n{out}"
    credit = ledger.credit(address, int(m.group(1)))
    assert credit > 0 and re.search(rf"claimable\s+{re.escape(format_eth(credit))}", out), (credit, out)


def check_withdrawal(ledger, address: str, out: str, credit_before: int) -> None:
    """The ETH arrived: the account's balance rose across the withdraw's block by exactly what the ledger paid
    out (its Withdrawn event), less the gas of the account's transactions in that block (the withdraw's, and a
    claim the still-running worker may have sent in the same block)."""
    assert SIGN_PROMPT.replace("\\", "") in out, f"withdraw showed no confirmation prompt:\n{out}"
    m = re.search(r"tx (0x[0-9a-f]{64}) in block (\d+)", out)
    assert m, f"withdraw printed no transaction hash and block:\n{out}"
    w3 = ledger.w3
    receipt = w3.eth.get_transaction_receipt(m.group(1))
    block = receipt["blockNumber"]
    assert receipt["status"] == 1 and block == int(m.group(2)), receipt
    (withdrawn,) = [e for e in ledger.events(block, block, names=["Withdrawn"])
                    if e["transactionHash"] == receipt["transactionHash"]]
    amount = withdrawn["args"]["amount"]
    assert withdrawn["args"]["account"] == address
    assert amount >= credit_before > 0, (amount, credit_before)
    withdraw_gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert withdraw_gas > 0
    others_spent = 0  # gas and value of the account's other transactions in the same block (normally none)
    for tx in w3.eth.get_block(block, full_transactions=True)["transactions"]:
        if tx["from"] == address and tx["hash"] != receipt["transactionHash"]:
            r = w3.eth.get_transaction_receipt(tx["hash"])
            others_spent += r["gasUsed"] * r["effectiveGasPrice"] + tx["value"]
    rose = w3.eth.get_balance(address, block) - w3.eth.get_balance(address, block - 1)
    assert rose == amount - withdraw_gas - others_spent, (rose, amount, withdraw_gas, others_spent)
    from node.wallet.amounts import format_eth

    assert f"withdrew {format_eth(amount)}" in out, out
