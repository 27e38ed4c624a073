"""Run a command in a pseudo-terminal, as a person at a terminal would: stdin, stdout and stderr are a tty, so
prompts, colours and live progress behave as they do for a user. Shared by the tests that check terminal
output and the ones that answer prompts."""
from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import time
from dataclasses import dataclass, field

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]")


def plain(text: str) -> str:
    """Terminal output without escape sequences and carriage-return redraws (what a reader sees last)."""
    text = ANSI.sub("", text)
    return "\n".join(line.rsplit("\r", 1)[-1] if not line.endswith("\r") else line.rstrip("\r").rsplit("\r", 1)[-1]
                     for line in text.split("\n"))


@dataclass
class PtySession:
    """A process on a pty. `expect` waits for a pattern in its output; `send` types a line."""
    argv: list[str]
    env: dict[str, str] | None = None
    cwd: str | None = None
    columns: int = 120
    output: str = field(default="", init=False)
    answered_at: int = field(default=0, init=False)  # where the output after the last answered prompt begins

    def __post_init__(self) -> None:
        self._master, slave = pty.openpty()
        os.set_blocking(self._master, False)
        import fcntl
        import struct
        import termios
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, self.columns, 0, 0))
        env = {**(self.env if self.env is not None else os.environ), "COLUMNS": str(self.columns), "TERM": "xterm"}
        self.proc = subprocess.Popen(self.argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=self.cwd,
                                     start_new_session=True, close_fds=True)
        os.close(slave)

    def _read(self, wait_s: float) -> None:
        ready, _, _ = select.select([self._master], [], [], wait_s)
        if not ready:
            return
        try:
            chunk = os.read(self._master, 65536)
        except OSError:  # EIO: the process closed its side
            chunk = b""
        self.output += chunk.decode("utf-8", "replace")

    def expect(self, pattern: str, timeout_s: float) -> re.Match:
        """The first match of `pattern` (a regex) in what was printed since the start, waiting up to timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            m = re.search(pattern, plain(self.output))
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.argv[:3]}...: no {pattern!r} in {timeout_s}s; output:\n{plain(self.output)[-3000:]}")
            if self.proc.poll() is not None:
                self._read(0.05)
                if not re.search(pattern, plain(self.output)):
                    raise AssertionError(f"{self.argv[:3]}... exited {self.proc.returncode} before {pattern!r}; "
                                         f"output:\n{plain(self.output)[-3000:]}")
            self._read(0.1)

    def send(self, line: str) -> None:
        os.write(self._master, (line + "\n").encode())

    def wait(self, timeout_s: float) -> int:
        """Exit status, reading output until the process ends."""
        deadline = time.monotonic() + timeout_s
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{self.argv[:3]}... still running after {timeout_s}s:\n{plain(self.output)[-3000:]}")
            self._read(0.1)
        for _ in range(20):
            before = len(self.output)
            self._read(0.02)
            if len(self.output) == before:
                break
        return self.proc.returncode

    def interrupt(self) -> None:
        """Ctrl-C, as a person would press it (SIGINT to the process group)."""
        os.killpg(self.proc.pid, signal.SIGINT)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def close(self) -> None:
        self.kill()
        os.close(self._master)


def run_in_pty(argv: list[str], answers: list[tuple[str, str]] = (), timeout_s: float = 120,
               env: dict[str, str] | None = None, cwd: str | None = None) -> tuple[int, str]:
    """Run argv on a pty, answering each (prompt regex, reply) in order as the prompt appears; (status, plain output).

    A prompt that never appears is not an error here (the caller asserts on the output); one that appears with no
    answer left makes the process wait until timeout_s, then fail loudly.
    """
    session = PtySession(list(argv), env=env, cwd=cwd)
    try:
        pending = list(answers)
        deadline = time.monotonic() + timeout_s
        while session.proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"{argv[:3]}... still running after {timeout_s}s:\n{plain(session.output)[-3000:]}")
            session._read(0.1)
            if pending and re.search(pending[0][0], plain(session.output)[session.answered_at:]):
                session.send(pending.pop(0)[1])
                session.answered_at = len(plain(session.output))
        return session.wait(10), plain(session.output)
    finally:
        session.close()

