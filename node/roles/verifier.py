"""Verifier: for each new claim, wait for its seed, replay a sample with verifier/, vote; check heads too."""
from __future__ import annotations

import json
import time

from .. import failpoints
from ..chain.enums import ClaimStatus, ProposalStatus, Role
from ..chain.errors import ContractRevert
from ..heads import accepted_claims_synced, round_mean
from .aggregator import finalize_due_claims
from .claim_check import fetch_for, round_head, subject_of
from .runtime import Runtime



class Verifier:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self.claims_checked = 0
        self.verify_seconds = 0.0

    def start(self) -> None:
        self.rt.ensure_stake(Role.VERIFIER, self.rt.job()["min_verifier_stake"])

    def resume(self) -> None:
        """After a restart: cast the votes already decided but never signed (no replay, no torch needed)."""
        rt = self.rt
        block = rt.block()
        for claim in rt.state.rows("select c.* from claims c join verdicts v on v.kind = 'claim' "
                                   "and v.subject_id = c.claim_id where c.status = 'Pending' "
                                   "and v.decision in ('approve', 'reject')"):
            self._vote_on_claim(claim, block)

    def tick(self) -> None:
        rt = self.rt
        block = rt.block()
        for claim in rt.state.rows("select * from claims where job_id = ? and status = 'Pending' and worker != ? "
                                   "order by claim_id", (rt.job_id, rt.address)):
            self._vote_on_claim(claim, block)
        finalize_due_claims(rt, block)
        job = rt.job()
        if job["pending_proposal"]:
            self._vote_on_head(job["pending_proposal"], block)
        rt.status.update(round=job["round"], claims_checked=self.claims_checked,
                         seconds_verifying=round(self.verify_seconds, 3), updated_at=time.time())

    # -- claims ----------------------------------------------------------------------------------------------
    def _vote_on_claim(self, claim: dict, block: int) -> None:
        rt = self.rt
        key = f"vote:{claim['claim_id']}"
        if rt.outbox.status(key) is not None:
            rt.outbox.settle(key)
            return
        view = rt.ledger.call("getClaim", claim["claim_id"])
        seed_block, deadline, status = view[7], view[8], view[9]
        if status != ClaimStatus.PENDING or block <= seed_block or block > deadline:
            return
        seed = rt.ledger.call("claimSeed", claim["claim_id"])
        decided = rt.state.one("select * from verdicts where kind = 'claim' and subject_id = ?", (claim["claim_id"],))
        # A verdict holds for the sample of one seed: after a reorg the claim (or its seed block) may be new.
        if decided is None or decided["decision"] == "abstain" or decided["seed"] != "0x" + seed.hex():
            decided = self._decide(claim, seed)
            failpoints.hit("verifier-decided")
        if decided["decision"] == "abstain":
            return  # no vote rather than a wrong one; tried again next tick while the window is open
        try:
            rt.outbox.submit(key, "attest", claim["claim_id"], decided["decision"] == "approve", seed)
        except ContractRevert as exc:
            rt.state.log("vote-refused", claim=claim["claim_id"], error=str(exc))

    def _decide(self, claim: dict, seed: bytes, samples: int | None = None) -> dict:
        """Run verifier/ on the claim and record the verdict (and its reason) before any vote is sent.

        samples: draws of this verifier's sample (v2: the job's samplesPerMember; v1: the spec's)."""
        from verifier.verdict import abstain
        from verifier.verify import verify_claim

        from ..replay_subprocess import replay_for

        rt = self.rt
        started = time.perf_counter()
        fetch = fetch_for(rt, claim)
        if fetch is None:
            verdict = abstain("artifact_uri_invalid", detail=f"artifactURI {claim['artifact_uri']!r} is not usable")
        else:
            # Replays in a subprocess that runs the spec's numerics profile if this process runs another.
            verdict = verify_claim(rt.spec, subject_of(rt, claim), round_head(rt, claim["round"]), seed, rt.address,
                                   fetch, samples=samples, replay=replay_for(rt.spec))
        self.verify_seconds += time.perf_counter() - started
        self.claims_checked += 1
        row = {"kind": "claim", "subject_id": claim["claim_id"], "decision": verdict.decision,
               "reason": json.dumps(verdict.reason, default=str), "decided_at": time.time(), "seed": "0x" + seed.hex()}
        rt.state.upsert("verdicts", row)
        rt.state.log("verdict", claim=claim["claim_id"], decision=verdict.decision)
        return row

    # -- heads -----------------------------------------------------------------------------------------------
    def _vote_on_head(self, proposal_id: int, block: int) -> None:
        rt = self.rt
        key = f"head-vote:{proposal_id}"
        if rt.outbox.status(key) is not None:
            rt.outbox.settle(key)
            return
        p = rt.ledger.call("getProposal", proposal_id)
        round_, new_head, deadline, status = p[1], p[4], p[6], p[7]
        if status != ProposalStatus.PENDING or block > deadline:
            return
        if not accepted_claims_synced(rt, round_):
            return
        head, _ = round_mean(rt, rt.job_id, round_)
        approve = head == new_head
        rt.state.upsert("verdicts", {"kind": "head", "subject_id": proposal_id,
                                     "decision": "approve" if approve else "reject",
                                     "reason": json.dumps({"recomputed": "0x" + head.hex(),
                                                           "proposed": "0x" + new_head.hex()}),
                                     "decided_at": time.time()})
        try:
            rt.outbox.submit(key, "attestHead", proposal_id, approve)
        except ContractRevert as exc:
            rt.state.log("head-vote-refused", proposal=proposal_id, error=str(exc))
