"""Where a node's CPU goes: training, replay, chain I/O, HTTP, and the rest (issue 15's useful share).

Each kind of work is measured where it runs, in thread CPU time (time.thread_time: what this thread burned, not
wall time, so waiting on a socket or a sleep costs nothing), plus the CPU of child processes reaped meanwhile
(a replay under another numerics profile runs in one). Work nested in other work is charged to the innermost
kind only: a worker's training that reads the block number between segments charges that read to "chain", not
twice. What no measure covers (the role loop's own logic, SQLite, the HTTP server's threads, the interpreter)
is the process total less the measured kinds, reported as "other". Start-up (imports, warm-up, staking: all the
CPU up to `mark_ready`) is reported apart, as benchmarks want it. A snapshot counts work still running too
(its thread's CPU clock read from the snapshot's thread): a claim trained across two samples is split between
them, as the process total is, instead of landing whole in the second.
"""
from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from typing import Iterator

KINDS = ("training", "replay", "aggregation", "chain", "http")


def process_cpu() -> float:
    """User + system CPU of this process and of the children it has reaped."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def measured(owner, kind: str):
    """`owner.cpu.measure(kind)`, or nothing for an owner without an account (the audit's runtime)."""
    account = getattr(owner, "cpu", None)
    return account.measure(kind) if account is not None else nullcontext()


class CpuAccount:
    def __init__(self) -> None:
        self._seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()
        self._local = threading.local()  # this thread's open measures: [kind, started_at] innermost last
        self._open: dict[int, tuple[int, list]] = {}  # thread id -> (its CPU clock, its open measures)
        self.rpc_calls: dict[str, int] = defaultdict(int)  # JSON-RPC requests by method (measure_chain_io)
        self.startup: float | None = None  # process CPU at mark_ready
        self._at_ready: dict[str, float] = {}  # what start-up itself charged to each kind (a warm-up step)

    @staticmethod
    def _now() -> float:
        return time.thread_time() + _children_cpu()

    @contextmanager
    def measure(self, kind: str) -> Iterator[None]:
        if kind not in KINDS:
            raise ValueError(f"CPU kind {kind!r} is not one of {', '.join(KINDS)}")
        stack = self._stack()
        with self._lock:  # a snapshot reads the stacks of every thread: change them under the lock
            now = self._now()
            if stack:  # the enclosing kind stops counting while this one runs
                self._seconds[stack[-1][0]] += now - stack[-1][1]
            stack.append([kind, now])
        try:
            yield
        finally:
            with self._lock:
                now = self._now()
                done, started = stack.pop()
                self._seconds[done] += now - started
                if stack:
                    stack[-1][1] = now

    def _stack(self) -> list:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            ident = threading.get_ident()
            stack = self._local.stack = []
            with self._lock:
                self._open[ident] = (time.pthread_getcpuclockid(ident), stack)
        return stack

    def _running(self) -> dict[str, float]:
        """CPU of the measures open now, in any thread, so far (call with the lock held)."""
        alive = {t.ident for t in threading.enumerate()}
        running: dict[str, float] = defaultdict(float)
        for ident, (clock, stack) in list(self._open.items()):
            if ident not in alive:
                del self._open[ident]  # its measures closed before it ended
            elif stack:
                kind, started = stack[-1]
                try:
                    now = time.clock_gettime(clock)
                except OSError:  # the thread ended after enumerate(): its measures were closed, and charged
                    continue
                running[kind] += now + _children_cpu() - started
        return running

    def count_rpc(self, method: str) -> None:
        self.rpc_calls[method] += 1

    def mark_ready(self) -> None:
        """Everything before this call was start-up."""
        if self.startup is None:
            with self._lock:
                self._at_ready = dict(self._seconds)
            self.startup = process_cpu()

    def snapshot(self) -> dict[str, float]:
        """CPU seconds so far, by kind; `other` is the process total (start-up excluded) less the measured kinds.

        Kinds measured during start-up (a warm-up step) are in `startup`, not in their kind; before
        `mark_ready` everything is."""
        total = process_cpu()
        if self.startup is None:
            return {**{k: 0.0 for k in KINDS}, "other": 0.0, "startup": round(total, 4), "total": round(total, 4)}
        with self._lock:
            running = self._running()
            kinds = {k: self._seconds.get(k, 0.0) + running[k] - self._at_ready.get(k, 0.0) for k in KINDS}
        startup = self.startup
        out = {k: round(v, 4) for k, v in kinds.items()}
        out["other"] = round(max(0.0, total - startup - sum(kinds.values())), 4)
        out["startup"] = round(startup, 4)
        out["total"] = round(total, 4)
        return out


# Ledger methods that talk to the chain: their ABI encoding and decoding is chain I/O's CPU too, not only the
# JSON-RPC request the middleware below times.
LEDGER_IO = ("call", "prepare", "broadcast", "pending", "simulate", "receipt", "events", "decode_raw_logs")


def measure_chain_io(ledger, account: CpuAccount) -> None:
    """Charge every JSON-RPC request of `ledger.w3`, and every chain method of `ledger`, to "chain"."""
    from web3.middleware import Web3Middleware

    class ChainCpu(Web3Middleware):
        def wrap_make_request(self, make_request):
            def timed(method, params):
                account.count_rpc(method)
                with account.measure("chain"):
                    return make_request(method, params)
            return timed

    ledger.w3.middleware_onion.inject(ChainCpu, name="gradchain-cpu", layer=0)
    measure_methods(ledger, LEDGER_IO, account, "chain")


def measure_methods(obj, names: tuple[str, ...], account: CpuAccount, kind: str) -> None:
    """Charge calls of these methods of `obj` to `kind`: on this instance only (the CLI's are not measured)."""
    for name in names:
        method = getattr(obj, name)

        def timed(*args, _method=method, **kwargs):
            with account.measure(kind):
                return _method(*args, **kwargs)
        setattr(obj, name, timed)
