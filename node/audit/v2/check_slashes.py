"""Every Slashed event justified by its obligation's outcome (contracts/v2.md, the bonds table)."""
from __future__ import annotations

from ..report import FAIL, PASS, CheckResult
from .rebuilt import Rebuilt, _low


def why_not_justified(L: Rebuilt, s: dict) -> str | None:
    """None if the Slashed event follows from the rules (contracts/v2.md bonds table), else why not."""
    reason, sid, who = s["reason"], s["subject_id"], s["account"]
    if s["subject_kind"] == "claim":
        claim = L.claims.get(sid)
        if claim is None:
            return f"claim {sid} does not exist"
        p = L.params(claim["job_id"])
        d = L.disputes.get(claim["dispute_id"]) if claim["dispute_id"] else None
        verdict_fault = d is not None and d["status"] == "Resolved" and (d["faulty_mask"] or 0) != 0
        if reason == "claim_bond":
            if _low(who) != _low(claim["worker"]) or s["amount"] != p["claim_bond"]:
                return f"the claimBond of claim {sid} is its worker's {p['claim_bond']} wei"
            if claim["status"] != "Rejected" or not verdict_fault:
                return f"claim {sid} was not Rejected by a verdict with a nonzero faultyMask"
            return None
        if reason == "approval_bond":
            if who not in {a["member"] for a in L.approvals[sid]}:
                return f"{who} did not approve claim {sid}"
            if not verdict_fault:
                return f"claim {sid} has no verdict with a proven-faulty segment"
            if not L.caught(claim, d, who):
                return (f"none of {who}'s own sample of claim {sid} is a segment proven faulty in dispute "
                        f"{d['dispute_id']} ({sorted(L.faulty_segments(d))})")
            return None if s["amount"] == p["approval_bond"] else f"amount is not approvalBond {p['approval_bond']}"
        if reason == "expiry_penalty":
            if _low(who) != _low(claim["worker"]) or s["amount"] != p["expiry_penalty"]:
                return f"the expiryPenalty of claim {sid} is its worker's {p['expiry_penalty']} wei"
            if claim["status"] != "Expired" or (d is not None and d["status"] == "NoVerdict"):
                return f"claim {sid} did not Expire at finalizeClaim (a NoVerdict expiry costs the worker nothing)"
            return None
        if reason == "miss_penalty":
            if d is not None:
                return f"claim {sid} was disputed: no miss penalty"
            members = [m["account"] for m in L.committee[sid]]
            if who not in members or who in {a["member"] for a in L.approvals[sid]}:
                return f"{who} is not a drawn member of claim {sid} that did not approve"
            free = s["active_before"] - s["locked_before"]
            if s["amount"] != min(p["miss_penalty"], free):
                return f"a miss takes min(missPenalty {p['miss_penalty']}, unlocked {free})"
            return None
    if s["subject_kind"] == "dispute":
        d = L.disputes.get(sid)
        if d is None:
            return f"dispute {sid} does not exist"
        p = L.params(d["job_id"])
        if reason == "challenge_bond":
            ch = next((c for c in L.challenges[sid] if _low(c["challenger"]) == _low(who)), None)
            if ch is None:
                return f"{who} did not challenge in dispute {sid}"
            if d["status"] != "Resolved":
                return f"dispute {sid} has no verdict: challenge bonds return"
            if ch["named_mask"] & (d["faulty_mask"] or 0):
                return f"a segment {who} named in dispute {sid} was proven faulty (or the head was wrong)"
            return None if s["amount"] == p["challenge_bond"] else f"amount is not challengeBond {p['challenge_bond']}"
        if reason == "juror_bond":
            attempt = s["attempt"]
            vote = next((v for v in L.votes[(sid, attempt)] if _low(v["juror"]) == _low(who)), None)
            if vote is None:
                return f"{who} did not commit in attempt {attempt} of dispute {sid}"
            at = L.attempts[sid][attempt]
            if vote["verdicts"] is not None and (at["closed_by"] != "resolved" or vote["verdicts"] == d["faulty_mask"]):
                return f"{who} revealed and was in the majority (or the attempt ended without a verdict)"
            return None if s["amount"] == p["juror_bond"] else f"amount is not jurorBond {p['juror_bond']}"
    if s["subject_kind"] == "proposal" and reason == "head_bond":
        pr = L.proposals.get(sid)
        if pr is None:
            return f"proposal {sid} does not exist"
        if _low(who) != _low(pr["proposer"]) or pr["status"] != "Rejected":
            return f"proposal {sid} was not Rejected, or {who} did not propose it"
        p = L.params(pr["job_id"])
        return None if s["amount"] == p["head_bond"] else f"amount is not headBond {p['head_bond']}"
    return f"unknown slash reason {reason} for a {s['subject_kind']}"


def check_slashes(L: Rebuilt) -> CheckResult:
    check = CheckResult("slashes", "every Slashed event is justified by its obligation's outcome")
    for s in L.t["slashes"]:
        why = why_not_justified(L, s)
        subject = {f"{s['subject_kind']}": s["subject_id"]}
        if why is None:
            check.add(PASS, account=s["account"], reason=s["reason"], amount=s["amount"], **subject)
        else:
            check.add(FAIL, account=s["account"], reason=s["reason"], amount=s["amount"], problem=why, **subject)
    return check.settle(f"{len(L.t['slashes'])} slashes, {len(check.problems())} unjustified")
