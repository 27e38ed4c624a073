"""The console of one running node: fed by the node's hooks (attach.py), it writes event lines and stall reports
to a sink and keeps the snapshot the live panel draws and /status reports.

Every hook runs on the thread that raised it and only stores numbers or writes a line; the facts that need the
node's database (pending claims, seats) are refreshed at most once a second, on the role thread, after a poll.
A failure in here is reported once and never reaches the node's own work."""
from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any, Callable

from ..chain.v2 import rules
from .earnings import Earnings, earnings_text
from .lines import Mine, chain_line, log_line, progress_line, stamp, tx_line
from .panel import Snapshot
from .progress import BlockClock, Training, Window, next_window, window_text
from . import stalls

FACTS_EVERY_S = 1.0
# Work-log kinds that repeat while a peer stays down: reported through the stall limiter, not on every retry.
PEER_TROUBLE = {"chain-error": "the chain", "io-error": "a disk or network peer",
                "result-copy-failed": "the worker's artifact server", "relay-fallback": "the approval relay",
                "member-error": "a claim's evidence"}
EARNING_ROLES = ("worker", "verifier")
REPLAY_HOLDS_S, TICK_HOLDS_S = 600.0, 5.0


class ConsoleSession:
    def __init__(self, rt, role_loop=None, sink=None, start_block: int | None = None,
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> None:
        self.rt, self.role_loop, self.sink = rt, role_loop, sink
        self.role, self.address, self.job_id = rt.options.role, rt.address, rt.job_id
        self.monotonic, self.wall = clock, wall
        self.start_block = start_block  # events below it are history: learnt from, not printed or counted
        self.mine = Mine(rt.address, rt.job_id)
        self.blocks = BlockClock()
        self.earnings = Earnings(started_at=wall())
        self.limiter = stalls.StallLimiter()
        self.training: Training | None = None
        # (what, monotonic time said, seconds it holds): a role's latest report. A replay holds until its verdict
        # is logged; what a role re-reports every tick while it lasts (finalizing, proposing) holds a few seconds.
        self.doing: tuple[str, float, float] | None = None
        self.round: int | None = None
        self.windows: list[Window] = []
        self.pending: list[dict] = []  # the job's pending claims (role thread, at most once a second)
        self.facts_at = -FACTS_EVERY_S
        self.last_claim_seen: int | None = None  # block a pending claim was last seen (verifier's idle report)
        self.seat_stake_wei: int | None = None
        self._gas_counted: set[str] = set()  # tx hashes: a receipt seen again after a reorg is not paid twice
        self._broken: set[str] = set()
        self._lock = threading.Lock()

    # -- output ------------------------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if self.sink is not None:
            self.sink.line(stamp(text, self.wall()))

    def _guarded(self, name: str, fn: Callable, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # the console must never stop the node: say it once, on stderr
            if name not in self._broken:
                self._broken.add(name)
                print(f"console: {name} failed (the node carries on):", file=sys.stderr)
                traceback.print_exc()

    # -- hooks (attach.py) -------------------------------------------------------------------------------------
    def on_log(self, kind: str, fields: dict) -> None:
        self._guarded("log line", self._on_log, kind, fields)

    def _on_log(self, kind: str, fields: dict) -> None:
        if kind == "trained" and self.training is not None:
            self.training.advance(self.training.steps, self.training.updated_at or self.monotonic())
        if kind in ("verdict", "jury-verdict"):
            self.doing = None
        if kind in PEER_TROUBLE:
            cause = f"{kind}:{fields.get('claim', '')}"
            if self.limiter.due(cause, self.monotonic()):
                self.say(stalls.peer_stall(PEER_TROUBLE[kind], log_line(kind, fields).split(": ", 1)[-1]))
            return
        self.say(log_line(kind, fields))

    def on_progress(self, kind: str, fields: dict) -> None:
        """A role's report of what it is doing (rt.report). Called between training segments: stores numbers."""
        self._guarded("progress", self._on_progress, kind, fields)

    def _on_progress(self, kind: str, fields: dict) -> None:
        now = self.monotonic()
        if kind == "training":
            if fields.get("step", 0) == 0 or self.training is None or self.training.round != fields.get("round"):
                self.training = Training(round=fields["round"], steps=fields["steps"], started_at=now)
            self.training.advance(fields.get("step", 0), now)
        elif kind == "replaying":
            self.doing = (f"replaying claim {fields.get('claim')}'s sample ({fields.get('samples')} segments)", now,
                          REPLAY_HOLDS_S)
        elif kind == "judging":
            segments = ", ".join(map(str, fields.get("segments") or ())) or "the head"
            self.doing = (f"juror: replaying segments {segments} of dispute {fields.get('dispute')}", now,
                          REPLAY_HOLDS_S)
        elif kind == "finalizing":
            self.doing = (f"finalizing claims {', '.join(map(str, fields.get('claims') or ()))}", now, TICK_HOLDS_S)
        elif kind == "proposing":
            self.doing = (f"proposing the head of round {fields.get('round')}", now, TICK_HOLDS_S)
        line = progress_line(kind, fields)
        if line:
            self.say(line)

    def on_chain_events(self, events: list[dict], latest: tuple[int, float] | None) -> None:
        self._guarded("chain events", self._on_chain_events, events, latest)

    def _on_chain_events(self, events: list[dict], latest: tuple[int, float] | None) -> None:
        if latest is not None:
            self.blocks.saw(latest[0], latest[1])
        history = 0
        for event in events:
            self.mine.learn(event["name"], event["args"])
            if self.start_block is not None and event["block"] < self.start_block:
                history += 1
                continue
            self._count(event)
            line = chain_line(event, self.mine)
            if line:
                self.say(line)
        if history:
            self.say(f"caught up with the chain: {history} earlier events read, up to block {events[-1]['block']}")
            self.start_block = None  # from here on everything is news
        if self.monotonic() - self.facts_at >= FACTS_EVERY_S:
            self.facts_at = self.monotonic()
            self._refresh_facts()

    def _count(self, event: dict) -> None:
        a = event["args"]
        if event["name"] == "Credited" and self.mine.is_me(a["account"]):
            self.earnings.credit(a["amount"])
        elif event["name"] == "Slashed" and self.mine.is_me(a["account"]):
            self.earnings.slash(a["amount"])

    def on_receipt(self, row: dict, receipt: Any) -> None:
        """The node's own transaction was mined (the outbox holds the receipt already): count its gas."""
        self._guarded("gas", self._on_receipt, row, receipt)

    def _on_receipt(self, row: dict, receipt: Any) -> None:
        if row["tx_hash"] in self._gas_counted:
            return
        self._gas_counted.add(row["tx_hash"])
        gas = int(receipt["gasUsed"]) * int(receipt.get("effectiveGasPrice") or 0)
        self.earnings.gas(gas)
        line = tx_line(row["function"], row["key"], gas) if receipt.get("status") == 1 else None
        if line:
            self.say(line)

    # -- facts, refreshed on the role thread -------------------------------------------------------------------
    def _job(self):
        cached = getattr(self.rt, "_job_cache", None)  # the role's own last read: never a read of ours
        return cached[2] if cached else None

    def _params(self):
        return self.rt.__dict__.get("job_params")  # cached_property: only once a role has read it

    def _refresh_facts(self) -> None:
        job, p, block = self._job(), self._params(), self.blocks.block
        if job is None or p is None or block is None:
            return
        self.round = job.round
        state = self.rt.state
        self.pending = state.rows("select claim_id, worker, submit_block, seat_count from claims where job_id = ? and "
                                  "status = 'Pending' order by claim_id", (self.job_id,))
        windows = [Window(f"submit window of round {job.round} closes", job.round_start + p.submit_window)]
        mine = [c for c in self.pending if self.mine.is_me(c["worker"])]
        for c in mine if self.role == "worker" else self.pending if self.role == "aggregator" else ():
            seed = rules.seed_block(c["submit_block"])
            windows.append(Window(f"verify window of claim {c['claim_id']} closes", seed + p.verify_window))
            windows.append(Window(f"claim {c['claim_id']} can be finalized",
                                  seed + p.verify_window + p.challenge_window + 1))
        member = getattr(self.role_loop, "member", None)
        for claim_id, seat in (getattr(member, "seats", None) or {}).copy().items():
            if seat is not None:
                windows.append(Window(f"vote on claim {claim_id} closes", seat.vote_deadline))
        for d in state.rows("select dispute_id, attempt_start from disputes where job_id = ? and status = 'Open'",
                            (self.job_id,)):
            if self.mine.party(d["dispute_id"]):
                seed = rules.jury_seed_block(d["attempt_start"])
                windows.append(Window(f"commit window of dispute {d['dispute_id']} closes", seed + p.commit_window))
                windows.append(Window(f"reveal window of dispute {d['dispute_id']} closes",
                                      seed + p.commit_window + p.reveal_window))
        if job.pending_proposal:
            pr = state.one("select block from proposals where proposal_id = ?", (job.pending_proposal,))
            if pr is not None:
                windows.append(Window(f"head proposal {job.pending_proposal} can be finalized",
                                      pr["block"] + p.head_window + 1))
        self.windows = windows
        self._check_stalls(job, p, block, mine)

    def _check_stalls(self, job, p, block: int, mine: list[dict]) -> None:
        now = self.monotonic()
        if self.role == "worker":
            seats = self.rt.state.one("select count(*) as n from seats where retired_at = 0 and registered_at < ? and "
                                      "lower(account) != lower(?)", (block, self.address))["n"]
            waiting = [c for c in mine if (c["seat_count"] or 0) < p.committee_size]
            claim = waiting[0]["claim_id"] if waiting else None
            report = None
            if waiting or seats < p.committee_size:
                report = stalls.seats_stall(waiting[0]["seat_count"] if waiting else seats, p.committee_size,
                                            self._seat_stake(), claim)
            if report and self.limiter.due("seats", now):
                self.say(report)
            if not report:
                self.limiter.clear("seats")
            self._check_missed_window(job, p, block)
        elif self.role == "verifier":
            if self.pending or self.last_claim_seen is None:
                self.last_claim_seen = block
            report = stalls.idle_verifier_stall(block - self.last_claim_seen, p.submit_window, self.job_id)
            if report and self.limiter.due("idle", now):
                self.say(report)

    def _check_missed_window(self, job, p, block: int) -> None:
        """A round whose submit window closed with no claim of this worker in the outbox."""
        closes = job.round_start + p.submit_window
        until = self.rt.options.extra.get("until_round")
        if block < closes or (until is not None and job.round >= until):
            return
        if self.rt.outbox.status(f"claim:{self.job_id}:{job.round}") is not None:
            return
        gate = getattr(self.role_loop, "gate", None)
        if self.limiter.due(f"missed:{job.round}", self.monotonic()):
            self.say(stalls.missed_window_stall(job.round, getattr(gate, "reason", None)))

    def _seat_stake(self) -> int | None:
        """The ledger's seat stake, read once (on the role thread, charged to "chain") the first time a stall
        report names it."""
        if self.seat_stake_wei is None:
            try:
                self.seat_stake_wei = int(self.rt.ledger.call("seatStake"))
            except Exception:
                return None
        return self.seat_stake_wei

    # -- what the panel and /status show ------------------------------------------------------------------------
    def activity(self) -> str:
        doing = self.doing
        if doing is not None and self.monotonic() - doing[1] < doing[2]:
            return doing[0]
        gate = getattr(self.role_loop, "gate", None)
        if gate is not None:
            if not gate.reason:
                return gate.activity
            return gate.reason if gate.reason.startswith(gate.activity) else f"{gate.activity}: {gate.reason}"
        if self.role == "verifier":
            member = getattr(self.role_loop, "member", None)
            drawn = sum(1 for s in (getattr(member, "seats", None) or {}).copy().values() if s is not None)
            return f"watching {len(self.pending)} pending claims; drawn to {drawn} committees so far"
        if self.role == "aggregator":
            job = self._job()
            if job is not None and job.pending_proposal:
                return f"head proposal {job.pending_proposal} pending its window"
            return f"waiting for the claims of the round to settle ({len(self.pending)} pending)"
        return "following the chain"

    def next_window_text(self) -> str:
        block = self.blocks.block
        if block is None:
            return "chain not read yet"
        return window_text(next_window(block, self.windows), self.blocks)

    def snapshot(self) -> Snapshot:
        earning = self.role in EARNING_ROLES
        return Snapshot(role=self.role, address=self.address, job_id=self.job_id, round=self.round,
                        block=self.blocks.block, seconds_per_block=self.blocks.seconds_per_block(),
                        activity=self.activity(), next_window=self.next_window_text(),
                        earnings=earnings_text(self.earnings.summary(self.wall())) if earning else None,
                        training=self.training)

    def status(self) -> dict:
        """The console's fields of /status (node/roles/runtime.py's status_details)."""
        spb = self.blocks.seconds_per_block()
        out = {"current_activity": self.activity(), "next_window": self.next_window_text(),
               "seconds_per_block": round(spb, 3) if spb else None,
               "net_earnings": self.earnings.summary(self.wall())}
        t = self.training
        if t is not None:
            speed = t.steps_per_second()
            out["training_progress"] = {"round": t.round, "step": t.step, "steps": t.steps,
                                        "steps_per_second": round(speed, 1) if speed else None,
                                        "eta_seconds": round(t.eta_seconds(), 1) if t.eta_seconds() else None}
        return out
