"""Where event lines go: plain text on a stream (flushed: a pipe or a file sees each line as it happens), and
appended to --log-file."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TextIO


def open_log_file(path: Path) -> TextIO:
    """PATH opened for appending, its directories created; a clear error if it cannot be written."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"--log-file {path}: is a directory (expected a file to append event lines to)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "a", encoding="utf-8", buffering=1)
    except OSError as exc:
        raise ValueError(f"--log-file {path}: cannot write there ({exc.strerror or exc}); pick a writable path")


class PlainSink:
    """Stamped lines to `stream` (None: none) and to a log file, each flushed; safe from any thread."""

    def __init__(self, stream: TextIO | None, log_file: TextIO | None = None) -> None:
        self.stream = stream
        self.log_file = log_file
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        with self._lock:
            for out in (self.stream, self.log_file):
                if out is None:
                    continue
                try:
                    out.write(text + "\n")
                    out.flush()
                except (OSError, ValueError):  # a closed pipe or file must not stop the node
                    pass

    def close(self) -> None:
        with self._lock:
            if self.log_file is not None:
                self.log_file.close()
                self.log_file = None
