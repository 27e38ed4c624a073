"""Checks of heads and finality: one chain from genesis; every claim, dispute and proposal final once."""
from __future__ import annotations

from ..report import FAIL, CheckResult
from .rebuilt import Rebuilt, _hex
from .snapshot import SnapshotV2


def check_head_chain(L: Rebuilt, snap: SnapshotV2) -> CheckResult:
    check = CheckResult("head_chain", "heads form one chain from genesis, each link an Accepted proposal")
    rounds = {(r["job_id"], r["round"]): r for r in L.t["rounds"]}
    links = 0
    for job_id, job in L.jobs.items():
        heads = sorted((h for h in L.t["heads"] if h["job_id"] == job_id), key=lambda h: h["round"])
        previous = None
        for h in heads:
            if previous is None:
                if h["round"] != 0 or h["head"] != job["genesis_head"]:
                    check.add(FAIL, job=job_id, round=h["round"], rule="the chain starts at the genesis head")
            else:
                links += 1
                pr = L.proposals.get(h["proposal_id"])
                if h["round"] != previous["round"] + 1 or h["parent"] != previous["head"]:
                    check.add(FAIL, job=job_id, round=h["round"], rule="parent is the previous round's head",
                              parent=h["parent"], previous=previous["head"])
                if (pr is None or pr["status"] != "Accepted" or pr["new_head"] != h["head"]
                        or pr["round"] != previous["round"] or pr["parent"] != previous["head"]):
                    check.add(FAIL, job=job_id, round=h["round"], proposal=h["proposal_id"],
                              rule="each head is an Accepted proposal for it")
                else:
                    r = rounds.get((job_id, previous["round"]))
                    if r is None or pr["accepted_claims_root"] != r["accumulator"]:
                        check.add(FAIL, job=job_id, round=previous["round"], proposal=pr["proposal_id"],
                                  rule="acceptedClaimsRoot is the accumulator of the round's accepted claims")
                    elif r["accepted"] == 0 and h["head"] != previous["head"]:
                        check.add(FAIL, job=job_id, round=previous["round"],
                                  rule="a round with no accepted claim keeps its head")
            previous = h
        view = snap.jobs.get(job_id)
        current = rounds.get((job_id, job["round"]))
        if view is not None and (view.round, _hex(view.head)) != (job["round"], job["head"]):
            check.add(FAIL, job=job_id, rule="the rebuilt head is getJob's", rebuilt=(job["round"], job["head"]),
                      contract=(view.round, _hex(view.head)))
        if view is not None and current is not None and _hex(view.accumulator) != current["accumulator"]:
            check.add(FAIL, job=job_id, round=job["round"], rule="the round's accumulator is getJob's",
                      rebuilt=current["accumulator"], contract=_hex(view.accumulator))
    return check.settle(f"{len(L.jobs)} jobs, {links} head links from genesis; {len(check.problems())} problems")


def check_finality(L: Rebuilt, snap: SnapshotV2) -> CheckResult:
    check = CheckResult("finality", "claims, disputes and proposals reach one terminal status, once, as the "
                                    "contract's views say")
    for f in L.t["finality"]:
        if f["n"] > 1:
            check.add(FAIL, **{f["kind"]: f["subject_id"]}, rule=f"a {f['kind']} is final at most once",
                      times=f["n"])
    for cid, c in L.claims.items():
        view = snap.claims.get(cid)
        if view is not None and view.status.name.title() != c["status"]:
            check.add(FAIL, claim=cid, field="status", rebuilt=c["status"], contract=view.status.name.title())
    for pid, pr in L.proposals.items():
        view = snap.proposals.get(pid)
        if view is not None and view.status.name.title() != pr["status"]:
            check.add(FAIL, proposal=pid, field="status", rebuilt=pr["status"], contract=view.status.name.title())
    final = sum(1 for c in L.claims.values() if c["status"] != "Pending")
    return check.settle(f"{final} claims final once, {len(L.disputes)} disputes, {len(L.proposals)} proposals; "
                        f"{len(check.problems())} problems")
