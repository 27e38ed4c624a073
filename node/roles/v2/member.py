"""A committee member's duty on one claim (contracts/v2.md, Claim): replay its own sample once the seed exists,
then approve inside the verify window, or challenge the faulty segments.

A member that finds a fault waits until no more approvals can come (the verify window closed, or every other
member approved) before it challenges: the challenge can then also name, held against each approver, the
faulty segments of that approver's own sample, and an approver whose sample holds a proven-faulty segment loses
its bond. Data it cannot fetch is challenged too (a withholding worker must lose, not be abstained on).

What never changes once the seed exists (membership, committee, seed, windows) is read from the chain once and
kept; what changes (approvals, a dispute) comes from the follower's tables, so a tick costs no RPC calls for a
claim this node has nothing to do on. The chain has the last word: a stale read costs a refused transaction.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from ... import failpoints
from ...chain.v2 import rules
from ...fetch import http_client
from ..claim_check import b32, fetch_for, round_head, subject_of
from .settle import send_or_log

# Blocks between two members' turns to challenge: enough for the first one's challenge to be mined and seen.
TURN_BLOCKS = 4
RELAY_TIMEOUT_S = 3.0  # a relay slower than this is treated as down: the member approves directly
# Abstentions that are the worker's doing: its evidence could not be fetched or bound to its claim.
DATA_FAULTS = {"artifact_uri_invalid", "transcript_unavailable", "transcript_malformed", "checkpoint_unavailable",
               "checkpoint_mismatch", "checkpoint_malformed"}


@dataclass(frozen=True)
class Seat:
    """This node's place on one claim's committee, fixed once the claim's seed block is mined."""

    members: tuple[str, ...]  # committee accounts, in position order
    seed: bytes
    seed_block: int
    vote_deadline: int
    challenge_deadline: int
    segments: int


class CommitteeMember:
    def __init__(self, verifier, partners: frozenset[str] = frozenset()):
        self.v = verifier  # node/roles/verifier.Verifier: _decide, counters
        self.rt = verifier.rt
        # DEMO/TESTS ONLY, set on every tick from --cheat (None: honest): "lazy" approves whatever it is drawn
        # for, replaying nothing; "collude" does that for its partners' claims (every claim without --partner);
        # "grief" replays, then challenges the claims it found sound (and leaves faulty ones to others).
        self.mode: str | None = None
        self.partners = partners  # lowercase worker addresses a colluder approves blindly
        self.seats: dict[int, Seat | None] = {}  # claim id -> our seat, None: not drawn
        self.done: set[int] = set()  # claims this node approved, challenged or stood down on
        self.posted: set[int] = set()  # claims whose signed approval went to the relay (--relay)
        self._eip712 = None  # the ledger's EIP-712 domain, read once
        self._relay_client: httpx.Client | None = None

    def tick(self, claim: dict, block: int) -> None:
        rt, claim_id = self.rt, claim["claim_id"]
        if claim_id in self.done:
            return
        for key in (f"approve:{claim_id}", f"challenge:{claim_id}"):
            if rt.outbox.status(key) is not None:
                rt.outbox.settle(key)
                self.done.add(claim_id)
                return
        if block <= rules.seed_block(claim["submit_block"]):
            return
        seat = self._seat(claim_id)
        if seat is None:
            return
        if self.blind(claim):
            if rules.vote_open(block, seat.seed_block, rt.job_params.verify_window):
                self._send(claim_id, f"approve:{claim_id}", "approve", claim_id)
            return
        decided = rt.state.one("select * from verdicts where kind = 'claim' and subject_id = ?", (claim_id,))
        # An abstention is looked at again while approving is still possible: the worker's server may have been
        # down for a moment (an honest worker restarting). Evidence still missing when the verify window closes
        # is the worker's doing, and is challenged.
        if decided is None or decided["seed"] != "0x" + seat.seed.hex() or (decided["decision"] == "abstain" and (
                json.loads(decided["reason"]).get("check") not in DATA_FAULTS
                or rules.vote_open(block, seat.seed_block, rt.job_params.verify_window))):
            rt.report("replaying", claim=claim_id, samples=rt.job_params.samples_per_member)
            decided = self.v._decide(claim, seat.seed, samples=rt.job_params.samples_per_member)
            if decided["decision"] == "approve":
                failpoints.hit("verifier-decided")  # the crash tests: decided, recorded, not yet sent
        if self.mode == "grief":  # DEMO/TESTS ONLY: a sound claim is challenged, a faulty one left alone
            if decided["decision"] != "approve" or self.blame(claim, block, own=True):
                self.done.add(claim_id)
            return
        if decided["decision"] == "approve":
            now = rt.block()
            if rules.vote_open(now, seat.seed_block, rt.job_params.verify_window) and not self._relayed(
                    claim, seat, now):
                self._send(claim_id, f"approve:{claim_id}", "approve", claim_id)
            return
        if decided["decision"] == "abstain" and json.loads(decided["reason"]).get("check") not in DATA_FAULTS:
            return  # this node's own trouble (bad input, internal error): no challenge on it, retried next tick
        self._challenge_when_ready(claim, seat, block)

    def blind(self, claim: dict) -> bool:
        """DEMO/TESTS ONLY: whether this member approves `claim` without replaying it."""
        return self.mode == "lazy" or (self.mode == "collude" and (
            not self.partners or claim["worker"].lower() in self.partners))

    def blame(self, claim: dict, block: int, own: bool) -> bool:
        """Challenge `claim` without replaying it, as soon as no approval can come: every approver held to its
        first draw, and (own) this member's first draw. True once done (sent, refused, or nothing to name).

        The sentinel does this on its planted faults, whose every segment is faulty; a griefer (DEMO/TESTS ONLY)
        on honest claims, and pays for it. Approvals are read from the chain, not the follower: one mined in the
        verify window's last block must not escape."""
        from verifier.challenge import plan_blame
        from verifier.sampling import sample_index

        rt, claim_id, p = self.rt, claim["claim_id"], self.rt.job_params
        if block <= rules.seed_block(claim["submit_block"]):
            return False
        c = rt.ledger.claim(claim_id)
        if rules.vote_open(block, c.seed_block, p.verify_window):
            return False
        if not rules.challenge_open(block, c.seed_block, p.verify_window, p.challenge_window):
            return True
        seed = rules.claim_seed(rt.ledger, c)
        committee = [rt.ledger.seat(i).account for i in rt.ledger.committee(claim_id)]
        approvers = [m for position, m in enumerate(committee) if c.approved_mask >> position & 1]
        mine = sample_index(seed, claim_id, rt.address, 0, c.segments) if own else None
        plan = plan_blame(seed, claim_id, approvers, c.segments, mine, why=self.mode or "planted")
        if plan is None:
            return True
        rt.state.log("blaming", claim=claim_id, segments=plan.segments, approvers=plan.approvers)
        send_or_log(rt, f"challenge:{claim_id}", "challenge", claim_id, list(plan.segments), list(plan.approvers),
                    list(plan.draw_indices), wait=False)
        return True  # once: a refusal (the dispute sealed, the window closed) is not retried

    def _relayed(self, claim: dict, seat: Seat, block: int) -> bool:
        """With --relay: hand the signed approval to the aggregator for its approveBatch, and keep waiting for it
        on chain, until `fallback_lead` blocks before the deadline; False: approve directly now (no relay, the
        relay unreachable or refusing, or the deadline close and the approval still not on chain)."""
        from .relay_batch import fallback_lead

        rt, claim_id = self.rt, claim["claim_id"]
        url = rt.options.extra.get("relay")
        if not url:
            return False
        if rt.state.one("select 1 as x from approvals where claim_id = ? and lower(member) = lower(?)",
                        (claim_id, rt.address)):
            self.done.add(claim_id)
            return True
        if seat.vote_deadline - block <= fallback_lead(rt.job_params.verify_window):
            rt.state.log("relay-fallback", claim=claim_id, why="not on chain near the deadline: approving directly")
            return False
        if claim_id in self.posted:
            return True
        from ...chain.v2.approvals import sign_approval

        signature = sign_approval(rt.account, self._domain(), claim_id, b32(claim["transcript_root"]), seat.seed)
        if self._relay_client is None:
            self._relay_client = http_client(RELAY_TIMEOUT_S)
        try:
            response = self._relay_client.post(f"{url.rstrip('/')}/relay/approvals",
                                               json={"claim_id": claim_id, "signature": "0x" + signature.hex()})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            rt.state.log("relay-fallback", claim=claim_id, why=f"relay {url}: {type(exc).__name__}: {exc}")
            return False
        self.posted.add(claim_id)
        rt.state.log("relay-posted", claim=claim_id, relay=url)
        return True

    def _domain(self):
        from ...chain.v2.approvals import domain_of

        if self._eip712 is None:
            self._eip712 = domain_of(self.rt.ledger)
        return self._eip712

    def _seat(self, claim_id: int) -> Seat | None:
        if claim_id not in self.seats:
            rt = self.rt
            member, _position = rt.ledger.call("isCommitteeMember", claim_id, rt.address)
            if not member:
                self.seats[claim_id] = None
                self.done.add(claim_id)
                return None
            c = rt.ledger.claim(claim_id)
            members = tuple(rt.ledger.seat(i).account for i in rt.ledger.committee(claim_id))
            rt.report("drawn", claim=claim_id, position=_position)
            self.seats[claim_id] = Seat(members, rules.claim_seed(rt.ledger, c), c.seed_block, c.vote_deadline,
                                        c.challenge_deadline, c.segments)
        return self.seats[claim_id]

    def _send(self, claim_id: int, key: str, function: str, *args) -> None:
        if send_or_log(self.rt, key, function, *args, wait=False):
            self.done.add(claim_id)

    def _challenge_when_ready(self, claim: dict, seat: Seat, block: int) -> None:
        rt, claim_id = self.rt, claim["claim_id"]
        p = rt.job_params
        if not rules.challenge_open(block, seat.seed_block, p.verify_window, p.challenge_window):
            return
        approved = {r["member"] for r in rt.state.rows("select member from approvals where claim_id = ?", (claim_id,))}
        approvers = [m for m in seat.members if m in approved]
        others_pending = [m for m in seat.members if m != rt.address and m not in approved]
        # One challenge suffices, and every challenger is a party the jury cannot draw: the members that did not
        # approve take turns, TURN_BLOCKS apart in committee order, and a later one stands down once a dispute is
        # open, staying eligible as a juror (a jury of honest non-parties is what outvotes colluders).
        rank = [m for m in seat.members if m not in approved].index(rt.address)
        ready_at = seat.vote_deadline + 1 + TURN_BLOCKS * rank if others_pending else 0
        last_blocks = block + 3 >= seat.challenge_deadline  # never let the window close on a known fault
        if block < ready_at and not last_blocks:
            return
        if claim.get("dispute_id") or rt.ledger.claim(claim_id).dispute_id:  # the follower lags a block
            rt.state.log("challenge-stood-down", claim=claim_id, dispute=claim["dispute_id"])
            self.done.add(claim_id)
            return
        plan = self._plan(claim, seat, approvers)
        if plan is None:  # the evidence is there after all: decide afresh (and approve if it is still time)
            rt.state.log("challenge-skipped", claim=claim_id, why="no faulty segment on a second look")
            rt.state.db.execute("delete from verdicts where kind = 'claim' and subject_id = ?", (claim_id,))
            if not rules.vote_open(block, seat.seed_block, p.verify_window):
                self.done.add(claim_id)
            return
        rt.state.log("challenging", claim=claim_id, segments=plan.segments, approvers=plan.approvers)
        self._send(claim_id, f"challenge:{claim_id}", "challenge", claim_id, list(plan.segments),
                   list(plan.approvers), list(plan.draw_indices))

    def _plan(self, claim: dict, seat: Seat, approvers: list[str]):
        from verifier.challenge import plan_challenge

        from ...replay_subprocess import replay_for

        rt = self.rt
        return plan_challenge(rt.spec, subject_of(rt, claim), round_head(rt, claim["round"]), seat.seed, rt.address,
                              fetch_for(rt, claim) or _unfetchable, approvers, rt.job_params.samples_per_member,
                              seat.segments, replay=replay_for(rt.spec))


def _unfetchable(artifact_id: bytes, max_bytes: int | None = None) -> bytes:
    from verifier.errors import ArtifactUnavailable

    raise ArtifactUnavailable(artifact_id, "the claim's artifactURI is not a usable URL")
