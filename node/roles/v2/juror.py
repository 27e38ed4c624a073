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

from ...chain.errors import ContractRevert
from ...chain.v2 import rules
from ...chain.v2.views import DisputeKind, DisputeStatus, Role
from ..claim_check import fetch_for, round_head, subject_of
from .settle import send_or_log


class Juror:
    def __init__(self, rt, collude: bool = False):
        self.rt = rt
        self.collude = collude  # DEMO/TESTS ONLY: finds nothing faulty, ever
        self.disputes_judged = 0

    def my_seat(self) -> int | None:
        seat_plus_one = self.rt.ledger.stake(self.rt.address, Role.VERIFIER).seat_plus_one
        return seat_plus_one - 1 if seat_plus_one else None

    def tick(self, block: int) -> None:
        rt = self.rt
        for row in rt.state.rows("select dispute_id from disputes where job_id = ? and status = 'Open' "
                                 "order by dispute_id", (rt.job_id,)):
            self._duty(row["dispute_id"], block)

    def resume(self) -> None:
        """After a restart: reveal what was committed before the crash, if its window is open."""
        block = self.rt.block()
        for row in self.rt.state.rows("select distinct dispute_id from juror_secrets"):
            self._duty(row["dispute_id"], block)

    def _duty(self, dispute_id: int, block: int) -> None:
        rt, p = self.rt, self.rt.job_params
        d = rt.ledger.dispute(dispute_id)
        if d.status != DisputeStatus.OPEN:
            return
        commit_key, reveal_key = f"commit:{dispute_id}:{d.attempt}", f"reveal:{dispute_id}:{d.attempt}"
        if rules.commit_open(block, d.jury_seed_block, p.commit_window):
            if rt.outbox.status(commit_key) is not None:
                rt.outbox.settle(commit_key)
                return
            seat = self.my_seat()
            try:
                jury = rt.ledger.jury(dispute_id)
            except ContractRevert:
                return  # the jury seed block is not mined yet
            if seat is None or seat not in jury:
                return
            secret = self._secret(dispute_id, d)
            commitment = rules.commitment(int(secret["verdicts"]), bytes.fromhex(secret["salt"][2:]), rt.address)
            send_or_log(rt, commit_key, "commitVerdict", dispute_id, commitment)
        elif rules.reveal_open(block, d.jury_seed_block, p.commit_window, p.reveal_window):
            if rt.outbox.status(reveal_key) is not None:
                rt.outbox.settle(reveal_key)
                return
            committed = rt.outbox.status(commit_key)
            if committed is None or committed["status"] != "mined":
                return
            secret = rt.state.one("select * from juror_secrets where dispute_id = ? and attempt = ?",
                                  (dispute_id, d.attempt))
            if secret is not None:
                send_or_log(rt, reveal_key, "revealVerdict", dispute_id, int(secret["verdicts"]),
                            bytes.fromhex(secret["salt"][2:]))

    def _secret(self, dispute_id: int, d) -> dict:
        """This attempt's verdict and salt: judged once, stored before any commitment is signed."""
        rt = self.rt
        found = rt.state.one("select * from juror_secrets where dispute_id = ? and attempt = ?",
                             (dispute_id, d.attempt))
        if found is not None:
            return found
        verdicts, reason = self._judge(d)
        self.disputes_judged += 1
        row = {"dispute_id": dispute_id, "attempt": d.attempt, "verdicts": str(verdicts),
               "salt": "0x" + os.urandom(32).hex(), "reason": json.dumps(reason, default=str),
               "decided_at": time.time()}
        rt.state.upsert("juror_secrets", row)
        rt.state.log("jury-verdict", dispute=dispute_id, attempt=d.attempt, verdicts=verdicts)
        return row

    def _judge(self, d) -> tuple[int, dict]:
        if self.collude:
            return 0, {"check": "collude"}
        if d.kind == DisputeKind.HEAD:
            return self._judge_head(d)
        return self._judge_claim(d)

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
