"""A juror's duty (contracts/v2.md, Dispute and jury): when drawn for a dispute's current attempt, judge its named
segments (or the head), commit keccak(verdicts, salt, juror), and reveal in the reveal window.

The verdict and salt are written to node.db before the commitment is signed, and revealed from there: a juror
killed between commit and reveal reveals exactly what it committed after a restart (an unrevealed commitment
costs the juror its bond). Nothing is judged twice for the same attempt.
"""
from __future__ import annotations

import json
import os
import time

from ... import failpoints
from ...chain.errors import ContractRevert
from ...chain.v2 import rules
from ...chain.v2.views import DisputeKind, Role
from ..claim_check import fetch_for, round_head, subject_of
from .settle import send_or_log


class Juror:
    def __init__(self, rt, partners: frozenset[str] = frozenset()):
        self.rt = rt
        # DEMO/TESTS ONLY: finds nothing faulty, replaying nothing (a colluder, or a lazy verifier); with partners,
        # in disputes of their claims only.
        self.collude = False
        self.partners = partners
        self.disputes_judged = 0
        self.juries: dict[tuple[int, int], tuple[int, ...]] = {}  # (dispute, attempt) -> seats drawn
        self._seat: tuple[float, int | None] | None = None  # (read at, seat index)

    def my_seat(self) -> int | None:
        """This verifier's seat index (None: no live seat), re-read from the chain at most every 10 s."""
        now = time.monotonic()
        if self._seat is None or now - self._seat[0] > 10:
            seat_plus_one = self.rt.ledger.stake(self.rt.address, Role.VERIFIER).seat_plus_one
            self._seat = (now, seat_plus_one - 1 if seat_plus_one else None)
        return self._seat[1]

    def tick(self, block: int) -> None:
        rt = self.rt
        committed = [self._duty(row, block) for row in rt.state.rows(
            "select * from disputes where job_id = ? and status = 'Open' order by dispute_id", (rt.job_id,))]
        if any(committed):  # the crash tests: every commitment of this tick sent, none revealed yet
            failpoints.hit("juror-committed")

    def resume(self) -> None:
        """After a restart: reveal what was committed before the crash, if its window is open."""
        block = self.rt.block()
        for row in self.rt.state.rows("select d.* from disputes d join juror_secrets s on s.dispute_id = d.dispute_id "
                                      "and s.attempt = d.attempt where d.status = 'Open'"):
            self._duty(row, block)

    def _duty(self, d: dict, block: int) -> bool:
        """d: the follower's row of an open dispute (its current attempt and when that attempt started).
        Returns whether a commitment went out."""
        rt, p = self.rt, self.rt.job_params
        dispute_id, attempt = d["dispute_id"], d["attempt"]
        seed_blk = rules.jury_seed_block(d["attempt_start"])
        commit_key, reveal_key = f"commit:{dispute_id}:{attempt}", f"reveal:{dispute_id}:{attempt}"
        if rules.commit_open(block, seed_blk, p.commit_window):
            if rt.outbox.status(commit_key) is not None:
                rt.outbox.settle(commit_key)
                return False
            seat = self.my_seat()
            if seat is None or seat not in self._jury(dispute_id, attempt):
                return False
            secret = self._secret(dispute_id, attempt, d)
            commitment = rules.commitment(int(secret["verdicts"]), bytes.fromhex(secret["salt"][2:]), rt.address)
            return send_or_log(rt, commit_key, "commitVerdict", dispute_id, commitment, wait=False)
        elif rules.reveal_open(block, seed_blk, p.commit_window, p.reveal_window):
            if rt.outbox.status(reveal_key) is not None:
                rt.outbox.settle(reveal_key)
                return False
            committed = rt.outbox.settle(commit_key) if rt.outbox.status(commit_key) is not None else None
            if committed is None or committed["status"] != "mined":
                return False
            secret = rt.state.one("select * from juror_secrets where dispute_id = ? and attempt = ?",
                                  (dispute_id, attempt))
            if secret is not None:
                send_or_log(rt, reveal_key, "revealVerdict", dispute_id, int(secret["verdicts"]),
                            bytes.fromhex(secret["salt"][2:]), wait=False)
        return False

    def _jury(self, dispute_id: int, attempt: int) -> tuple[int, ...]:
        """The attempt's jury, from the chain once its seed block is mined (fixed from then on)."""
        key = (dispute_id, attempt)
        if key not in self.juries:
            try:
                self.juries[key] = self.rt.ledger.jury(dispute_id)
            except ContractRevert:
                return ()  # SeedUnavailable: asked again next tick
        return self.juries[key]

    def _secret(self, dispute_id: int, attempt: int, row: dict) -> dict:
        """This attempt's verdict and salt: judged once, stored before any commitment is signed."""
        rt = self.rt
        found = rt.state.one("select * from juror_secrets where dispute_id = ? and attempt = ?", (dispute_id, attempt))
        if found is not None:
            return found
        d = rt.ledger.dispute(dispute_id)  # the named segments are sealed by now (the seal precedes the seed)
        rt.report("judging", dispute=dispute_id, segments=list(d.segments) if d.kind == DisputeKind.CLAIM else [])
        with rt.cpu.measure("replay"):
            verdicts, reason = self._judge(d)
        self.disputes_judged += 1
        row = {"dispute_id": dispute_id, "attempt": attempt, "verdicts": str(verdicts),
               "salt": "0x" + os.urandom(32).hex(), "reason": json.dumps(reason, default=str),
               "decided_at": time.time()}
        rt.state.upsert("juror_secrets", row)
        rt.state.log("jury-verdict", dispute=dispute_id, attempt=attempt, verdicts=verdicts)
        return row

    def _judge(self, d) -> tuple[int, dict]:
        if self.collude and self._covers(d):
            return 0, {"check": "collude"}
        if d.kind == DisputeKind.HEAD:
            return self._judge_head(d)
        return self._judge_claim(d)

    def _covers(self, d) -> bool:
        """DEMO/TESTS ONLY: whether a colluder's cover extends to this dispute (its partners' claims)."""
        if not self.partners:
            return True
        claim = self.rt.state.one("select worker from claims where claim_id = ?", (d.subject_id,))
        return d.kind == DisputeKind.CLAIM and claim is not None and claim["worker"].lower() in self.partners

    def _judge_claim(self, d) -> tuple[int, dict]:
        from verifier.jury import judge_segments, verdict_mask

        from ...replay_subprocess import replay_for
        from .member import _unfetchable

        rt = self.rt
        claim = rt.state.one("select * from claims where claim_id = ?", (d.subject_id,))
        c = rt.ledger.claim(d.subject_id)
        seed = rules.claim_seed(rt.ledger, c)
        judgement = judge_segments(rt.spec, subject_of(rt, claim), round_head(rt, claim["round"]), seed, rt.address,
                                   fetch_for(rt, claim) or _unfetchable, list(d.segments), replay=replay_for(rt.spec))
        return verdict_mask(judgement), {"segments": list(d.segments), "judgement": _plain(judgement)}

    def _judge_head(self, d) -> tuple[int, dict]:
        from ...heads import round_mean

        rt = self.rt
        pr = rt.ledger.proposal(d.subject_id)
        head, _ = round_mean(rt, rt.job_id, pr.round)
        wrong = head != pr.new_head
        return int(wrong), {"recomputed": "0x" + head.hex(), "proposed": "0x" + pr.new_head.hex()}


def _plain(judgement) -> object:
    to_json = getattr(judgement, "to_json", None)
    return to_json() if to_json else repr(judgement)
