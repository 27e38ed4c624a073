"""The v2 ledger checks: each a named CheckResult whose failures name the claim, dispute, proposal or account.

Inputs: the rebuilt tables (rebuild.load) and the contract's views at the snapshot block (snapshot.py); no RPC.
Rules come from node/chain/v2/rules.py (and head_rules.py for the head pot), draws from verifier/committee.py,
samples from verifier/sampling.py: nothing is re-derived here.
"""
from __future__ import annotations

from collections import defaultdict

from node.chain.v2 import rules
from node.chain.v2.views import ClaimStatus
from verifier import committee as draws

from ..report import FAIL, PASS, UNVERIFIABLE, CheckResult
from .head_rules import head_verdict_split
from .rebuild import registry
from .snapshot import SnapshotV2


def _b(hex_value: str) -> bytes:
    return bytes.fromhex(hex_value[2:])


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _low(a: str | None) -> str:
    return (a or "").lower()


class Ledger:
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
        """The committed jurors (commit order) of the dispute's last attempt, and the verdicts of those that revealed."""
        votes = self.votes[(d["dispute_id"], d["attempts"] - 1)]
        return votes, [v["verdicts"] for v in votes if v["verdicts"] is not None]

    def faulty_segments(self, d: dict) -> set[int]:
        mask = d["faulty_mask"] or 0
        return {seg for i, seg in enumerate(d["segments"]) if mask >> i & 1}

    def caught(self, claim: dict, d: dict, approver: str) -> bool:
        p = self.params(claim["job_id"])
        return rules.caught(_b(claim["seed"]), claim["claim_id"], approver, claim["segments"],
                            p["samples_per_member"], self.faulty_segments(d))


# -- committees and juries ------------------------------------------------------------------------------------

def check_committees(L: Ledger, snap: SnapshotV2) -> CheckResult:
    check = CheckResult("committees", "each claim's committee, recomputed from the seat registry, is committeeOf "
                                      "and holds every approval")
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
            if pos >= len(mine) or mine[pos] != a["seat_index"] or _low(L.seat_account(a["seat_index"])) != _low(a["member"]):
                check.add(FAIL, claim=cid, member=a["member"], position=pos, seat=a["seat_index"],
                          rule="an Approved member is the committee's seat at its position", committee=mine)
        view = snap.claims.get(cid)
        if view is not None and view.approved_mask != c["approved_mask"]:
            check.add(FAIL, claim=cid, rule="Approved events give the claim's approvedMask",
                      rebuilt=c["approved_mask"], contract=view.approved_mask)
    return check.settle(f"{n} committees recomputed, {sum(map(len, L.approvals.values()))} approvals placed; "
                        f"{len(check.problems())} problems")


def check_juries(L: Ledger, snap: SnapshotV2) -> CheckResult:
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


def check_verdicts(L: Ledger, snap: SnapshotV2) -> CheckResult:
    check = CheckResult("verdicts", "each closed dispute's outcome follows from its jurors' reveals")
    closed = 0
    for did, d in sorted(L.disputes.items()):
        p = L.params(d["job_id"])
        quorum = rules.reveal_quorum(p["jury_size"])
        for at in L.attempts[did][:-1]:
            reveals = sum(1 for v in L.votes[(did, at["attempt"])] if v["verdicts"] is not None)
            if reveals >= quorum:
                check.add(FAIL, dispute=did, attempt=at["attempt"], rule="a jury is redrawn only without a reveal quorum",
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


# -- slashes --------------------------------------------------------------------------------------------------

def why_not_justified(L: Ledger, s: dict) -> str | None:
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


def check_slashes(L: Ledger) -> CheckResult:
    check = CheckResult("slashes", "every Slashed event is justified by its obligation's outcome")
    for s in L.t["slashes"]:
        why = why_not_justified(L, s)
        subject = {f"{s['subject_kind']}": s["subject_id"]}
        if why is None:
            check.add(PASS, account=s["account"], reason=s["reason"], amount=s["amount"], **subject)
        else:
            check.add(FAIL, account=s["account"], reason=s["reason"], amount=s["amount"], problem=why, **subject)
    return check.settle(f"{len(L.t['slashes'])} slashes, {len(check.problems())} unjustified")


# -- credits --------------------------------------------------------------------------------------------------

def _credited(L: Ledger, kind: str, subject: int) -> list[tuple[str, int]]:
    return sorted((_low(c["account"]), c["amount"]) for c in L.t["credits"]
                  if c["subject_kind"] == kind and c["subject_id"] == subject)


def expected_dispute_split(L: Ledger, d: dict) -> rules.Split:
    p = L.params(d["job_id"])
    votes, _ = L.final_attempt(d)
    revealed = {v["juror"]: v["verdicts"] for v in votes if v["verdicts"] is not None}
    outcome = rules.Outcome(True, d["faulty_mask"] or 0, ())
    jurors = [v["juror"] for v in votes]
    if d["kind"] == "Claim":
        claim = L.claims[d["subject_id"]]
        caught = sum(1 for a in L.approvals[claim["claim_id"]] if outcome.faulty_mask and L.caught(claim, d, a["member"]))
        return rules.claim_verdict_split(
            outcome, worker=claim["worker"], jurors=jurors, revealed=revealed,
            challengers={c["challenger"]: c["named_mask"] for c in L.challenges[d["dispute_id"]]},
            caught_approvers=caught, claim_bond=p["claim_bond"], juror_bond=p["juror_bond"],
            challenge_bond=p["challenge_bond"], approval_bond=p["approval_bond"])
    pr = L.proposals[d["subject_id"]]
    return head_verdict_split(outcome, proposer=pr["proposer"], jurors=jurors, revealed=revealed,
                              challengers=[c["challenger"] for c in L.challenges[d["dispute_id"]]],
                              juror_bond=p["juror_bond"], challenge_bond=p["challenge_bond"], head_bond=p["head_bond"])


def check_credits(L: Ledger, snap: SnapshotV2) -> CheckResult:
    check = CheckResult("credits", "every Credited amount is what rules.py predicts (finalize_settlement, "
                                   "claim_verdict_split); credits left equal creditOf")
    total = 0
    for cid, c in sorted(L.claims.items()):
        d = L.disputes.get(c["dispute_id"]) if c["dispute_id"] else None
        by_finalize = c["status"] == "Accepted" or (c["status"] == "Expired" and not (d and d["status"] == "NoVerdict"))
        want: dict[str, int] = {}
        if by_finalize:
            p = L.params(c["job_id"])
            s = rules.finalize_settlement(worker=c["worker"], members=[m["account"] for m in L.committee[cid]],
                                          approved_mask=c["approved_mask"], disputed=d is not None,
                                          reward_per_claim=p["reward_per_claim"], approval_fee=p["approval_fee"],
                                          quorum=p["quorum"])
            if ClaimStatus(s.status).name.title() != c["status"]:
                check.add(FAIL, claim=cid, rule="Accepted iff approvals >= quorum", predicted=ClaimStatus(s.status).name,
                          finalized=c["status"])
            want = s.credits
        want_list = sorted((_low(a), v) for a, v in want.items() if v)
        got = _credited(L, "claim", cid)
        if want_list != got:
            check.add(FAIL, claim=cid, claim_status=c["status"], rule="reward and fees of finalizeClaim",
                      predicted=want_list, credited=got)
        total += sum(v for _, v in got)
    for did, d in sorted(L.disputes.items()):
        got = _credited(L, "dispute", did)
        if d["status"] != "Resolved":
            if got:
                check.add(FAIL, dispute=did, rule="a dispute without a verdict pays no shares", credited=got)
            continue
        split = expected_dispute_split(L, d)
        want_list = sorted((_low(w), split.share) for w in split.winners if split.share)
        if want_list != got:
            check.add(FAIL, dispute=did, rule="pot split equally among the winners", predicted=want_list, credited=got,
                      pot=split.pot)
        slashed = sum(s["amount"] for s in L.t["slashes"] if s["tx_hash"] == d["resolved_tx"])
        if slashed != split.pot:
            check.add(FAIL, dispute=did, rule="the verdict slashes exactly the pot", predicted=split.pot,
                      slashed=slashed)
        dust = sum(e["amount"] for e in L.t["escrow_changes"]
                   if e["tx_hash"] == d["resolved_tx"] and e["subject_id"] == did and e["kind"] == "released")
        if dust != split.dust:
            check.add(FAIL, dispute=did, rule="the split's dust goes to escrow", predicted=split.dust, released=dust)
        total += sum(v for _, v in got)
    # Withdrawals pay an account's whole credit (both roles); what remains is creditOf.
    balance = defaultdict(int)
    moves = [(c["block"], c["log_index"], "credit", _low(c["account"]), c["amount"]) for c in L.t["credits"]]
    moves += [(w["block"], w["log_index"], "withdraw", _low(w["account"]), w["amount"]) for w in L.t["withdrawals"]]
    for block, _, kind, account, amount in sorted(moves):
        if kind == "credit":
            balance[account] += amount
            continue
        if amount != balance[account]:
            check.add(FAIL, account=account, block=block, rule="withdraw pays the whole credit",
                      credited=balance[account], withdrawn=amount)
        balance[account] = 0
    for account, credit in snap.credits.items():
        if balance.get(_low(account), 0) != credit:
            check.add(FAIL, account=account, rule="credit left equals creditOf", rebuilt=balance.get(_low(account), 0),
                      contract=credit)
    return check.settle(f"{total / 1e18:.4f} ETH credited as predicted; {len(check.problems())} problems")


# -- stakes, money, heads, finality ---------------------------------------------------------------------------

def check_stakes(L: Ledger, snap: SnapshotV2) -> CheckResult:
    check = CheckResult("stakes", "stakes per (account, role), with locked derived from open obligations, equal "
                                  "stakeOf")
    for s in L.t["stakes"]:
        view = snap.stakes.get((s["account"], s["role"]))
        if view is None:
            continue
        for field in ("active", "locked", "unbonding", "credit"):
            if s[field] != getattr(view, field):
                check.add(FAIL, account=s["account"], role=s["role"], field=field, rebuilt=s[field],
                          contract=getattr(view, field))
        if s["locked"] > s["active"]:
            check.add(FAIL, account=s["account"], role=s["role"], rule="locked <= active", locked=s["locked"],
                      active=s["active"])
    return check.settle(f"{len(L.t['stakes'])} stake records (active, locked, unbonding, credit) agree with stakeOf; "
                        f"{len(check.problems())} problems")


def check_conservation(L: Ledger, snap: SnapshotV2) -> CheckResult:
    check = CheckResult("conservation", "ledger ETH == totalEscrow + totalCredits + totalStakes, each == the sum "
                                        "rebuilt from events")
    escrow = sum(j["escrow"] + j["reserved"] for j in L.t["jobs"])
    credits = sum(s["credit"] for s in L.t["stakes"])
    stakes = sum(s["active"] + s["unbonding"] for s in L.t["stakes"])
    if snap.balance != snap.total_escrow + snap.total_credits + snap.total_stakes:
        check.add(FAIL, rule="balance == totalEscrow + totalCredits + totalStakes", balance=snap.balance,
                  total_escrow=snap.total_escrow, total_credits=snap.total_credits, total_stakes=snap.total_stakes)
    for name, rebuilt, contract in (("escrow", escrow, snap.total_escrow), ("credits", credits, snap.total_credits),
                                    ("stakes", stakes, snap.total_stakes)):
        if rebuilt != contract:
            check.add(FAIL, rule=f"{name} rebuilt from events equals the contract's total", rebuilt=rebuilt,
                      contract=contract)
    for job_id, view in snap.jobs.items():
        j = L.jobs[job_id]
        if (j["escrow"], j["reserved"]) != (view.escrow, view.reserved):
            check.add(FAIL, job=job_id, rule="job escrow (available, reserved)", rebuilt=(j["escrow"], j["reserved"]),
                      contract=(view.escrow, view.reserved))
    return check.settle(f"{snap.balance / 1e18:.4f} ETH held = {escrow / 1e18:.4f} escrow + {credits / 1e18:.4f} "
                        f"credits + {stakes / 1e18:.4f} stakes")


def check_head_chain(L: Ledger, snap: SnapshotV2) -> CheckResult:
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


def check_finality(L: Ledger, snap: SnapshotV2) -> CheckResult:
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


def all_checks(tables: dict[str, list[dict]], snap: SnapshotV2) -> list[CheckResult]:
    L = Ledger(tables)
    return [check_committees(L, snap), check_juries(L, snap), check_verdicts(L, snap), check_slashes(L),
            check_credits(L, snap), check_stakes(L, snap), check_conservation(L, snap), check_head_chain(L, snap),
            check_finality(L, snap)]
