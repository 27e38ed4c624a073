"""What a worker has earned and may expect to earn, from the chain's events (as the node's follower stored them)."""
from __future__ import annotations

import json

from ..chain.v2.views import CreditReason, Role
from ..state import NodeState

WEI_PER_ETH = 10**18


def claim_counts(state: NodeState, address: str, job_id: int) -> dict[str, int]:
    rows = state.rows("select status, count(*) as n from claims where worker = ? and job_id = ? group by status",
                      (address, job_id))
    counts = {r["status"]: r["n"] for r in rows}
    return {"submitted": sum(counts.values()), "pending": counts.get("Pending", 0),
            "accepted": counts.get("Accepted", 0), "rejected": counts.get("Rejected", 0),
            "expired": counts.get("Expired", 0)}


def _events(state: NodeState, name: str) -> list[dict]:
    return [json.loads(r["args"]) for r in state.rows("select args from events where name = ?", (name,))]


def earned_wei(state: NodeState, address: str, job_id: int) -> tuple[int, int]:
    """(rewards credited, stake slashed) for this worker's claims in this job, in wei."""
    ours = {r["claim_id"] for r in state.rows("select claim_id from claims where worker = ? and job_id = ?",
                                              (address, job_id))}
    me = address.lower()
    rewards = sum(int(a["amount"]) for a in _events(state, "Credited")
                  if a["account"].lower() == me and a["reason"] == CreditReason.REWARD and _subject(a) in ours)
    slashed = sum(int(a["amount"]) for a in _events(state, "Slashed")
                  if a["account"].lower() == me and a["role"] == Role.WORKER and _subject(a) in ours)
    return rewards, slashed


def _subject(args: dict) -> int:
    """The claim a Credited/Slashed event is about (`subjectId`: a claim for a worker's rewards and claim-bond
    slashes)."""
    return args["subjectId"]


def reward_per_hour_wei(reward_per_claim: int, steps_per_claim: int, steps_per_second: float | None,
                        round_seconds: float | None, acceptance: float) -> tuple[float | None, str]:
    """Expected reward per hour of work and what bounds it: one claim per round, each taking H / (steps/s).

    Counts hours spent working (paused hours earn nothing). Without a measured speed there is no estimate.
    """
    if not steps_per_second:
        return None, "no training measured yet"
    claim_seconds = steps_per_claim / steps_per_second
    basis = "compute-bound (rounds not yet timed)"
    if round_seconds and round_seconds > claim_seconds:
        claim_seconds, basis = round_seconds, "one claim per round"
    elif round_seconds:
        basis = "compute-bound"
    return reward_per_claim * acceptance * 3600.0 / claim_seconds, basis


def summary(state: NodeState, address: str, job: dict, steps_per_claim: int, steps_done: int,
            seconds_working: float, seconds_paused: float, round_seconds: float | None) -> dict:
    """The earnings block of /status."""
    counts = claim_counts(state, address, job["job_id"])
    rewards, slashed = earned_wei(state, address, job["job_id"])
    finalized = counts["accepted"] + counts["rejected"]
    acceptance = counts["accepted"] / finalized if finalized else 1.0
    speed = steps_done / seconds_working if seconds_working > 0 and steps_done else None
    per_hour, basis = reward_per_hour_wei(job["reward_per_claim"], steps_per_claim, speed, round_seconds,
                                          acceptance)
    return {"steps_per_second": round(speed, 1) if speed else None, "steps_trained": steps_done,
            "seconds_working": round(seconds_working, 1), "seconds_paused": round(seconds_paused, 1),
            "claims": counts, "reward_earned_eth": rewards / WEI_PER_ETH, "slashed_eth": slashed / WEI_PER_ETH,
            "reward_per_claim_eth": job["reward_per_claim"] / WEI_PER_ETH,
            "est_reward_per_hour_eth": round(per_hour / WEI_PER_ETH, 6) if per_hour is not None else None,
            "estimate_basis": basis}
