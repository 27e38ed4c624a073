"""Checks of who was drawn and what they decided: committees, juries, verdicts."""
from __future__ import annotations

from node.chain.v2 import rules
from verifier import committee as draws

from ..report import FAIL, UNVERIFIABLE, CheckResult
from .rebuilt import Rebuilt, _b, _low
from .snapshot import SnapshotV2


def check_committees(L: Rebuilt, snap: SnapshotV2) -> CheckResult:
    check = CheckResult("committees", "each claim's committee, recomputed from the seat registry, is committeeOf "
                                      "and holds every approval")
    # The registry every draw uses, rebuilt from SeatRegistered/SeatRetired, is the contract's.
    rebuilt = [(_low(s.account), s.registered_at, s.retired_at) for s in L.seats]
    chain = [(_low(s.account), s.registered_at, s.retired_at) for s in snap.seats]
    for i in range(max(len(rebuilt), len(chain))):
        mine, theirs = (rebuilt[i] if i < len(rebuilt) else None), (chain[i] if i < len(chain) else None)
        if mine != theirs:
            check.add(FAIL, seat=i, rule="the seat registry rebuilt from events equals seatAt", rebuilt=mine,
                      contract=theirs)
    n = 0
    for cid, c in sorted(L.claims.items()):
        mine = [m["seat_index"] for m in L.committee[cid]]
        if not c["seed"]:
            if L.approvals[cid]:
                check.add(UNVERIFIABLE, claim=cid, problem=f"seed block {c['seed_block']} was not read")
            continue
        n += 1
        chain = snap.committees.get(cid)
        if chain is not None and list(chain) != mine:
            check.add(FAIL, claim=cid, rule="committee recomputed with verifier/committee.py equals committeeOf",
                      recomputed=mine, contract=list(chain))
        for a in L.approvals[cid]:
            pos = a["position"]
            placed = pos < len(mine) and mine[pos] == a["seat_index"]
            if not placed or _low(L.seat_account(a["seat_index"])) != _low(a["member"]):
                check.add(FAIL, claim=cid, member=a["member"], position=pos, seat=a["seat_index"],
                          rule="an Approved member is the committee's seat at its position", committee=mine)
        view = snap.claims.get(cid)
        if view is not None and view.approved_mask != c["approved_mask"]:
            check.add(FAIL, claim=cid, rule="Approved events give the claim's approvedMask",
                      rebuilt=c["approved_mask"], contract=view.approved_mask)
    return check.settle(f"{n} committees recomputed, {sum(map(len, L.approvals.values()))} approvals placed; "
                        f"{len(check.problems())} problems")


def check_juries(L: Rebuilt, snap: SnapshotV2) -> CheckResult:
    check = CheckResult("juries", "each seated jury is the draw of verifier/committee.py jury() from its attempt's "
                                  "seed, the frozen population and the parties")
    n = 0
    for did, d in sorted(L.disputes.items()):
        p = L.params(d["job_id"])
        parties = frozenset(L.parties(d))
        for at in L.attempts[did]:
            if at["seats"] is None:
                continue
            n += 1
            if not at["seed"]:
                check.add(UNVERIFIABLE, dispute=did, attempt=at["attempt"],
                          problem=f"jury seed block {at['seed_block']} was not read")
                continue
            want = draws.jury(_b(at["seed"]), did, L.seats, d["seat_count"], d["open_block"], p["jury_size"], parties)
            if want != list(at["seats"]):
                check.add(FAIL, dispute=did, attempt=at["attempt"], rule="JurySeated equals the recomputed jury",
                          recomputed=want, seated=list(at["seats"]))
            accounts = {_low(L.seat_account(i)) for i in at["seats"]}
            for v in L.votes[(did, at["attempt"])]:
                if _low(v["juror"]) not in accounts:
                    check.add(FAIL, dispute=did, attempt=at["attempt"], juror=v["juror"],
                              rule="only seated jurors commit")
                if v["juror"] in parties:
                    check.add(FAIL, dispute=did, juror=v["juror"], rule="no party sits on its own jury")
            current = at["attempt"] == d["attempts"] - 1
            chain = snap.juries.get(did)
            if current and chain is not None and list(chain) != list(at["seats"]):
                check.add(FAIL, dispute=did, attempt=at["attempt"], rule="JurySeated equals juryOf",
                          seated=list(at["seats"]), contract=list(chain))
    return check.settle(f"{n} seated juries recomputed; {len(check.problems())} problems")


def check_verdicts(L: Rebuilt, snap: SnapshotV2) -> CheckResult:
    check = CheckResult("verdicts", "each closed dispute's outcome follows from its jurors' reveals")
    closed = 0
    for did, d in sorted(L.disputes.items()):
        p = L.params(d["job_id"])
        quorum = rules.reveal_quorum(p["jury_size"])
        for at in L.attempts[did][:-1]:
            reveals = sum(1 for v in L.votes[(did, at["attempt"])] if v["verdicts"] is not None)
            if reveals >= quorum:
                check.add(FAIL, dispute=did, attempt=at["attempt"],
                          rule="a jury is redrawn only without a reveal quorum",
                          reveals=reveals, quorum=quorum)
        view = snap.disputes.get(did)
        if view is not None:
            for field, mine, theirs in (("status", d["status"], view.status.name.title().replace("_", "")),
                                        ("segments", list(d["segments"]), list(view.segments)),
                                        ("challengers", [_low(c["challenger"]) for c in L.challenges[did]],
                                         [_low(a) for a in view.challengers]),
                                        ("attempt", d["attempts"] - 1, view.attempt)):
                if mine != theirs:
                    check.add(FAIL, dispute=did, field=field, rebuilt=mine, contract=theirs)
        if d["status"] == "Open":
            continue
        closed += 1
        _, revealed = L.final_attempt(d)
        outcome = rules.dispute_outcome(revealed, len(d["segments"]), p["jury_size"])
        if d["status"] == "Resolved":
            if not outcome.quorum or outcome.faulty_mask != d["faulty_mask"] or d["reveals"] != len(revealed):
                check.add(FAIL, dispute=did, rule="faultyMask: segment i faulty iff faultyVotes_i * 2 > reveals",
                          recomputed=outcome.faulty_mask if outcome.quorum else "no quorum",
                          resolved=d["faulty_mask"], reveals=len(revealed))
        elif outcome.quorum or d["attempts"] - 1 != p["max_redraws"]:
            check.add(FAIL, dispute=did, rule="NoVerdict only without a reveal quorum once the redraws are spent",
                      reveals=len(revealed), attempts=d["attempts"])
        if view is not None and d["status"] == "Resolved" and view.faulty_mask != d["faulty_mask"]:
            check.add(FAIL, dispute=did, field="faulty_mask", rebuilt=d["faulty_mask"], contract=view.faulty_mask)
    return check.settle(f"{closed} closed disputes, outcomes recomputed; {len(check.problems())} problems")
