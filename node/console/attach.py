"""Wire a console to a running node: the work log's listener, the roles' progress reports, the follower's polls
and the outbox's receipts feed a ConsoleSession; its fields join /status.

The poll and receipt hooks wrap those two methods on this node's instances only (as cpu_account.measure_methods
does): the follower and the outbox stay unaware of the console, and a node run without one is unchanged."""
from __future__ import annotations

import sys
from typing import TextIO

from .session import ConsoleSession
from .sink import PlainSink


def use_live_panel(plain: bool, stream: TextIO | None = None) -> bool:
    """A live panel only on a terminal, and not with --plain (pipes, files, CI logs get plain lines)."""
    stream = stream or sys.stdout
    return not plain and hasattr(stream, "isatty") and stream.isatty()


def attach(rt, role_loop, plain: bool = False, log: TextIO | None = None) -> ConsoleSession:
    """Start the console of `rt`: lines to stdout (a live panel on a terminal) and to `log` (sink.open_log_file);
    returns the session, for detach() at exit."""
    # Events older than this block are history: the one chain read the console makes, before the node runs.
    try:
        start_block = rt.block()
    except Exception:  # the chain went away since the runtime reached it: every event is then news
        start_block = None
    session = ConsoleSession(rt, role_loop, start_block=start_block)
    if use_live_panel(plain):
        from .live import LiveSink

        session.sink = LiveSink(session.snapshot, log)
    else:
        session.sink = PlainSink(sys.stdout, log)
    rt.state.log_listeners.append(session.on_log)
    rt.progress_listeners.append(session.on_progress)
    rt.status_sources.append(session.status)

    follower_poll = rt.follower.poll

    def poll():
        events = follower_poll()
        session.on_chain_events(events, rt.follower.latest_seen)
        return events
    rt.follower.poll = poll

    mark_mined = rt.outbox._mark_mined

    def mined(row, receipt):
        marked = mark_mined(row, receipt)
        session.on_receipt(row, receipt)  # reverted ones too: their gas was paid
        return marked
    rt.outbox._mark_mined = mined
    ask = getattr(role_loop, "ask", None)  # the worker's consent prompt: asked with the panel paused
    if ask is not None and hasattr(session.sink, "paused"):
        def ask_without_panel(summary: str) -> bool:
            with session.sink.paused():
                return ask(summary)
        role_loop.ask = ask_without_panel
    start = getattr(session.sink, "start", None)
    if start is not None:
        start()
    return session


def detach(session: ConsoleSession) -> None:
    """Stop the panel (the terminal gets its last frame) and close the log file."""
    if session.sink is not None:
        session.sink.close()
