"""The rebuilt v2 tables indexed the ways the checks look them up, and the facts several checks derive from them
(parties of a dispute, its final attempt, its proven-faulty segments, whether an approver was caught)."""
from __future__ import annotations

from collections import defaultdict

from node.chain.v2 import rules

from .rebuild import registry


def _b(hex_value: str) -> bytes:
    return bytes.fromhex(hex_value[2:])


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _low(a: str | None) -> str:
    return (a or "").lower()


class Rebuilt:
    """The rebuilt tables, indexed the ways the checks look them up."""

    def __init__(self, t: dict[str, list[dict]]):
        self.t = t
        self.jobs = {j["job_id"]: j for j in t["jobs"]}
        self.seats = registry(t["seats"])
        self.claims = {c["claim_id"]: c for c in t["claims"]}
        self.disputes = {d["dispute_id"]: d for d in t["disputes"]}
        self.proposals = {p["proposal_id"]: p for p in t["proposals"]}
        self.approvals = defaultdict(list)
        for a in sorted(t["approvals"], key=lambda a: (a["block"], a["position"])):
            self.approvals[a["claim_id"]].append(a)
        self.committee = defaultdict(list)
        for m in sorted(t["committees"], key=lambda m: m["position"]):
            self.committee[m["claim_id"]].append(m)
        self.challenges = defaultdict(list)
        for c in sorted(t["challenges"], key=lambda c: c["position"]):
            self.challenges[c["dispute_id"]].append(c)
        self.attempts = defaultdict(list)
        for a in sorted(t["jury_attempts"], key=lambda a: a["attempt"]):
            self.attempts[a["dispute_id"]].append(a)
        self.votes = defaultdict(list)
        for v in sorted(t["jury_votes"], key=lambda v: v["commit_order"]):
            self.votes[(v["dispute_id"], v["attempt"])].append(v)

    def params(self, job_id: int) -> dict:
        return self.jobs[job_id]["params"]

    def seat_account(self, index: int) -> str | None:
        return self.seats[index].account if 0 <= index < len(self.seats) else None

    def parties(self, d: dict) -> set[str]:
        """Whose bond the verdict moves: worker, challengers and approvers (head: proposer and challenger)."""
        out = {c["challenger"] for c in self.challenges[d["dispute_id"]]}
        if d["kind"] == "Claim":
            claim = self.claims[d["subject_id"]]
            out |= {claim["worker"]} | {a["member"] for a in self.approvals[claim["claim_id"]]}
        else:
            out.add(self.proposals[d["subject_id"]]["proposer"])
        return out

    def final_attempt(self, d: dict) -> tuple[list[dict], list[int]]:
        """The committed jurors (commit order) of the dispute's last attempt, and the verdicts of those revealed."""
        votes = self.votes[(d["dispute_id"], d["attempts"] - 1)]
        return votes, [v["verdicts"] for v in votes if v["verdicts"] is not None]

    def faulty_segments(self, d: dict) -> set[int]:
        mask = d["faulty_mask"] or 0
        return {seg for i, seg in enumerate(d["segments"]) if mask >> i & 1}

    def caught(self, claim: dict, d: dict, approver: str) -> bool:
        p = self.params(claim["job_id"])
        return rules.caught(_b(claim["seed"]), claim["claim_id"], approver, claim["segments"],
                            p["samples_per_member"], self.faulty_segments(d))
