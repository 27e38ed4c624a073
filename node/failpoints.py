"""Crash points for the restart tests: `GRADCHAIN_FAILPOINT=name` makes the process SIGKILL itself there.

A real kill -9 at a chosen instant (between signing and sending, between deciding and voting), so that the
tests exercise recovery from exactly the moments that matter instead of hoping a timer lands on them.
"""
from __future__ import annotations

import os
import signal

ENV = "GRADCHAIN_FAILPOINT"


def hit(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
