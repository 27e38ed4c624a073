"""A committee member's duty on one claim (contracts/v2.md, Claim): replay its own sample once the seed exists,
then approve inside the verify window, or challenge the faulty segments.

A member that finds a fault waits until no more approvals can come (the verify window closed, or every other
member approved) before it challenges: the challenge can then also name, held against each approver, the
faulty segments of that approver's own sample, and an approver whose sample holds a proven-faulty segment loses
its bond. Data it cannot fetch is challenged too (a withholding worker must lose, not be abstained on).
"""
from __future__ import annotations

import json

from ...chain.v2 import rules
from ...chain.v2.views import ClaimStatus, DisputeStatus
from ..claim_check import fetch_for, round_head, subject_of
from .settle import send_or_log

# Abstentions that are the worker's doing: its evidence could not be fetched or bound to its claim.
DATA_FAULTS = {"artifact_uri_invalid", "transcript_unavailable", "transcript_malformed", "checkpoint_unavailable",
               "checkpoint_mismatch", "checkpoint_malformed"}
ZERO_ADDRESS = "0x" + "00" * 20


class CommitteeMember:
    def __init__(self, verifier, collude: bool = False):
        self.v = verifier  # node/roles/verifier.Verifier: _decide, counters
        self.rt = verifier.rt
        self.collude = collude  # DEMO/TESTS ONLY: approve whatever it is drawn for, replaying nothing

    def tick(self, claim: dict, block: int) -> None:
        rt, claim_id = self.rt, claim["claim_id"]
        for key in (f"approve:{claim_id}", f"challenge:{claim_id}"):
            if rt.outbox.status(key) is not None:
                rt.outbox.settle(key)
                return
        c = rt.ledger.claim(claim_id)
        p = rt.job_params
        if c.status != ClaimStatus.PENDING or block <= c.seed_block:
            return
        member, _position = rt.ledger.call("isCommitteeMember", claim_id, rt.address)
        if not member:
            return
        seed = rules.claim_seed(rt.ledger, c)
        if self.collude:
            if rules.vote_open(block, c.seed_block, p.verify_window):
                send_or_log(rt, f"approve:{claim_id}", "approve", claim_id)
            return
        decided = rt.state.one("select * from verdicts where kind = 'claim' and subject_id = ?", (claim_id,))
        if decided is None or decided["seed"] != "0x" + seed.hex() or (
                decided["decision"] == "abstain" and json.loads(decided["reason"]).get("check") not in DATA_FAULTS):
            decided = self.v._decide(claim, seed, samples=p.samples_per_member)
        reason = json.loads(decided["reason"])
        if decided["decision"] == "approve":
            if rules.vote_open(block, c.seed_block, p.verify_window):
                send_or_log(rt, f"approve:{claim_id}", "approve", claim_id)
            return
        if decided["decision"] == "abstain" and reason.get("check") not in DATA_FAULTS:
            return  # this node's own trouble (bad input, internal error): no challenge on it, retried next tick
        self._challenge_when_ready(claim, c, seed, block)

    def _challenge_when_ready(self, claim: dict, c, seed: bytes, block: int) -> None:
        rt, p, claim_id = self.rt, self.rt.job_params, claim["claim_id"]
        if not rules.challenge_open(block, c.seed_block, p.verify_window, p.challenge_window):
            return
        committee = rt.ledger.committee(claim_id)
        members = [rt.ledger.seat(i).account for i in committee]
        approvers = [m for pos, m in enumerate(members) if c.approved_mask >> pos & 1]
        others_pending = [m for m in members if m != rt.address and m not in approvers]
        # One challenge suffices, and every challenger is a party the jury cannot draw: the members that did not
        # approve take turns, two blocks apart in committee order, and a later one stands down once a dispute is
        # open, staying eligible as a juror (a jury of honest non-parties is what outvotes colluders).
        rank = [m for m in members if m not in approvers].index(rt.address)
        ready_at = c.vote_deadline + 1 + 2 * rank if others_pending else 0
        last_blocks = block + 2 >= c.challenge_deadline  # never let the window close on a known fault
        if block < ready_at and not last_blocks:
            return
        if c.dispute_id and not last_blocks:
            return  # another member challenged first: the jury judges it (and we may be drawn for it)
        if c.dispute_id:
            d = rt.ledger.dispute(c.dispute_id)
            if d.status != DisputeStatus.OPEN or block > rules.seal_block(d.open_block):
                return
        plan = self._plan(claim, seed, approvers)
        if plan is None:
            rt.state.log("challenge-skipped", claim=claim_id, why="no faulty segment on a second look")
            return
        rt.state.log("challenging", claim=claim_id, segments=plan.segments, approvers=plan.approvers)
        send_or_log(rt, f"challenge:{claim_id}", "challenge", claim_id, plan.segments, plan.approvers,
                    plan.draw_indices)

    def _plan(self, claim: dict, seed: bytes, approvers: list[str]):
        from verifier.challenge import plan_challenge

        from ...replay_subprocess import replay_for

        rt = self.rt
        fetch = fetch_for(rt, claim) or _unfetchable
        c = rt.ledger.claim(claim["claim_id"])
        return plan_challenge(rt.spec, subject_of(rt, claim), round_head(rt, claim["round"]), seed, rt.address,
                              fetch, approvers, rt.job_params.samples_per_member, c.segments,
                              replay=replay_for(rt.spec))


def _unfetchable(artifact_id: bytes, max_bytes: int | None = None) -> bytes:
    from verifier.errors import ArtifactUnavailable

    raise ArtifactUnavailable(artifact_id, "the claim's artifactURI is not a usable URL")
