"""Checks of the money: credits as rules.py predicts them, stakes with derived locks, conservation of ETH."""
from __future__ import annotations

from collections import defaultdict

from node.chain.v2 import rules
from node.chain.v2.views import ClaimStatus

from ..report import FAIL, CheckResult
from .rebuilt import Rebuilt, _low
from .snapshot import SnapshotV2


def _credited(L: Rebuilt, kind: str, subject: int) -> list[tuple[str, int]]:
    return sorted((_low(c["account"]), c["amount"]) for c in L.t["credits"]
                  if c["subject_kind"] == kind and c["subject_id"] == subject)


def expected_dispute_split(L: Rebuilt, d: dict) -> rules.Split:
    p = L.params(d["job_id"])
    votes, _ = L.final_attempt(d)
    revealed = {v["juror"]: v["verdicts"] for v in votes if v["verdicts"] is not None}
    outcome = rules.Outcome(True, d["faulty_mask"] or 0, ())
    jurors = [v["juror"] for v in votes]
    if d["kind"] == "Claim":
        claim = L.claims[d["subject_id"]]
        caught = sum(1 for a in L.approvals[claim["claim_id"]]
                     if outcome.faulty_mask and L.caught(claim, d, a["member"]))
        return rules.claim_verdict_split(
            outcome, worker=claim["worker"], jurors=jurors, revealed=revealed,
            challengers={c["challenger"]: c["named_mask"] for c in L.challenges[d["dispute_id"]]},
            caught_approvers=caught, claim_bond=p["claim_bond"], juror_bond=p["juror_bond"],
            challenge_bond=p["challenge_bond"], approval_bond=p["approval_bond"])
    pr = L.proposals[d["subject_id"]]
    return rules.head_verdict_split(outcome, proposer=pr["proposer"], jurors=jurors, revealed=revealed,
                              challengers=[c["challenger"] for c in L.challenges[d["dispute_id"]]],
                              juror_bond=p["juror_bond"], challenge_bond=p["challenge_bond"], head_bond=p["head_bond"])


def check_credits(L: Rebuilt, snap: SnapshotV2) -> CheckResult:
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
                check.add(FAIL, claim=cid, rule="Accepted iff approvals >= quorum",
                          predicted=ClaimStatus(s.status).name,
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


def check_stakes(L: Rebuilt, snap: SnapshotV2) -> CheckResult:
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


def check_conservation(L: Rebuilt, snap: SnapshotV2) -> CheckResult:
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
