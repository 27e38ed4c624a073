"""Start and stop a local anvil (the real binary, see foundry.py): the dev chain for the demo, devnet, tests."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ChainError
from .foundry import FoundryMissing, foundry_binary  # noqa: F401  (foundry_binary: re-exported for callers)

LISTENING = re.compile(r"Listening on ([0-9.]+):(\d+)")


class AnvilError(ChainError):
    """anvil did not come up (a ChainError, so the CLI shows it as one line)."""


@dataclass
class Anvil:
    """One anvil process. `block_time` in seconds (fractions allowed); None means mine on each transaction."""

    log_path: Path
    port: int = 0
    block_time: float | None = None
    state_path: Path | None = None
    state_interval_s: int = 1
    process: subprocess.Popen | None = field(default=None, init=False)
    url: str | None = field(default=None, init=False)

    def start(self, timeout_s: float = 30.0) -> str:
        from .devaccounts import ANVIL_ACCOUNT_COUNT

        args = [str(foundry_binary("anvil")), "--port", str(self.port), "--host", "127.0.0.1",
                "--accounts", str(ANVIL_ACCOUNT_COUNT)]
        if self.block_time is not None:
            args += ["--block-time", str(self.block_time)]
        if self.state_path is not None:
            # --state loads at start and dumps on SIGTERM; the interval covers a SIGKILL.
            args += ["--state", str(self.state_path), "--state-interval", str(self.state_interval_s)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")
        # A file, not a pipe: anvil logs every transaction, and an unread pipe would block it.
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            match = LISTENING.search(self.log_path.read_text(errors="replace"))
            if match:
                self.port = int(match.group(2))
                self.url = f"http://127.0.0.1:{self.port}"
                return self.url
            if self.process.poll() is not None:
                raise AnvilError(f"anvil exited with {self.process.returncode}; see {self.log_path}")
            time.sleep(0.05)
        self.stop()
        raise AnvilError(f"anvil did not report 'Listening on' within {timeout_s}s; see {self.log_path}")

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM (anvil then dumps its state file), SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
