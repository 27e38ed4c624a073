"""The live panel on a terminal (rich Live): redrawn REFRESH_PER_SECOND times a second on rich's own thread from
the session's latest snapshot, with event lines printed above it.

The redraw only formats numbers the role thread already stored (no chain or database reads), on its own thread:
the CPU account measures thread time per kind, so none of it is charged to training."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from .panel import Snapshot, panel_lines

REFRESH_PER_SECOND = 4


class LiveSink:
    def __init__(self, snapshot: Callable[[], Snapshot], log_file: TextIO | None = None,
                 stream: TextIO | None = None) -> None:
        self.snapshot = snapshot
        self.log_file = log_file
        self.console = Console(file=stream or sys.stdout)
        self.live = Live(get_renderable=self.render, console=self.console, refresh_per_second=REFRESH_PER_SECOND,
                         transient=False, redirect_stdout=True, redirect_stderr=True)

    def render(self) -> Panel:
        try:
            text = "\n".join(panel_lines(self.snapshot()))
        except Exception as exc:  # a half-updated snapshot: say so for one frame rather than kill the redraws
            text = f"(panel unavailable: {type(exc).__name__})"
        return Panel(Text(text), title="gradchain node", title_align="left", expand=False)

    def start(self) -> None:
        self.live.start()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No redraws while a question waits for its answer (the consent prompt): Live redirects stderr and redraws
        over the question otherwise, so that the person, and a terminal reader, sees it broken up."""
        self.live.stop()
        try:
            yield
        finally:
            self.live.start()

    def line(self, text: str) -> None:
        # Above the panel (Live serializes it with its redraws), unwrapped: the terminal wraps it, a search finds it.
        self.console.print(Text(text), soft_wrap=True)
        if self.log_file is not None:
            try:
                self.log_file.write(text + "\n")
                self.log_file.flush()
            except (OSError, ValueError):
                pass

    def close(self) -> None:
        self.live.stop()
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None
