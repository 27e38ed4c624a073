"""The ledger checks that need only the chain: one function per rule of PROTOCOL.md §4, each returning evidence.

Inputs are the rebuilt tables (rebuild.py) and a `Snapshot` of the contract's own views at the audited block;
no RPC happens here. Claims still Pending at the snapshot are not judged (their money has not moved).
"""
from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import sqlite_utils
from eth_abi import encode
from eth_utils import keccak

from .report import FAIL, PASS, UNVERIFIABLE, CheckResult

ZERO32 = "0x" + "00" * 32


@dataclass
class Snapshot:
    """The contract's views at the snapshot block (read by run.py)."""

    block: int
    balance: int
    total_escrow: int
    total_credits: int
    total_stakes: int
    counters: tuple[int, int, int]
    jobs: dict[int, dict] = field(default_factory=dict)  # job id -> escrow, reserved, round, head, open_claims
    claims: dict[int, dict] = field(default_factory=dict)  # claim id -> status, approvals, rejections
    stakes: dict[tuple[str, str], dict] = field(default_factory=dict)  # (account, role) -> active, unbonding
    credits: dict[str, int] = field(default_factory=dict)  # account -> creditOf
    rounds: dict[tuple[int, int], dict] = field(default_factory=dict)  # (job, round) -> accepted_count, acc


def rows(db: sqlite_utils.Database, sql: str, params=()) -> list[dict]:
    return [dict(r) for r in db.query(sql, params)]


def accepted_accumulator(results: list[tuple[int, str]]) -> str:
    """keccak256(abi.encode(acc, claimId, result)) folded in finalization order, from 0 (the contract's roundInfo)."""
    acc = bytes(32)
    for claim_id, result in results:
        acc = keccak(encode(["bytes32", "uint256", "bytes32"], [acc, claim_id, bytes.fromhex(result[2:])]))
    return "0x" + acc.hex()


class StakeHistory:
    """Active stake of (account, role) at any point of the chain, replayed from the stake changes."""

    def __init__(self, db: sqlite_utils.Database):
        self._points: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        self._values: dict[tuple[str, str], list[int]] = defaultdict(list)
        for r in rows(db, "select * from stake_changes order by block, log_index"):
            key = (r["account"].lower(), r["role"])
            self._points[key].append((r["block"], r["log_index"]))
            self._values[key].append(int(r["new_active"]))

    def active_before(self, account: str, role: str, block: int, log_index: int) -> int:
        """Active stake just before the event at (block, log_index)."""
        key = (account.lower(), role)
        i = bisect.bisect_left(self._points[key], (block, log_index))
        return self._values[key][i - 1] if i else 0


def _jobs(db) -> dict[int, dict]:
    return {j["job_id"]: j for j in rows(db, "select * from jobs")}


# -- votes ---------------------------------------------------------------------------------------------------

def check_claim_votes(db: sqlite_utils.Database) -> CheckResult:
    """Every finalized claim's outcome follows from votes that were authorized, staked, in time and seeded right."""
    check = CheckResult("claim_votes", "finalized claims had a quorum of valid votes from staked verifiers")
    jobs, history = _jobs(db), StakeHistory(db)
    votes = defaultdict(list)
    for v in rows(db, "select * from votes order by block, log_index"):
        votes[v["claim_id"]].append(v)
    counts = Counter()
    for c in rows(db, "select * from claims order by claim_id"):
        if c["status"] not in ("Accepted", "Rejected", "Expired"):
            continue
        job = jobs[c["job_id"]]
        counts[c["status"]] += 1
        worker_stake = history.active_before(c["worker"], "worker", c["submit_block"], c["submit_log_index"])
        if worker_stake < int(job["min_worker_stake"]):
            check.add(FAIL, claim=c["claim_id"], rule="worker staked at submission",
                      worker=c["worker"], active=worker_stake, required=job["min_worker_stake"])
        valid = {True: 0, False: 0}
        cast = {True: 0, False: 0}
        deadline = c["seed_block"] + job["verify_window"]
        for v in votes[c["claim_id"]]:
            approve = bool(v["approve"])
            cast[approve] += 1
            problem = _vote_problem(c, v, job, deadline, history)
            if problem is None:
                valid[approve] += 1
            else:
                status = UNVERIFIABLE if problem.startswith("unverifiable") else FAIL
                check.add(status, claim=c["claim_id"], verifier=v["verifier"], vote="approve" if approve else "reject",
                          problem=problem, tx=v["tx_hash"])
        if (cast[True], cast[False]) != (c["approvals"], c["rejections"]):
            check.add(FAIL, claim=c["claim_id"], rule="ClaimFinalized counts the votes cast",
                      finalized=(c["approvals"], c["rejections"]), attested=(cast[True], cast[False]))
        quorum = job["quorum"]
        if c["status"] == "Accepted" and not (valid[True] >= quorum and valid[True] > valid[False]):
            check.add(FAIL, claim=c["claim_id"], rule="accepted needs valid approvals >= quorum and > rejections",
                      valid_approvals=valid[True], valid_rejections=valid[False], quorum=quorum)
        if c["status"] == "Rejected" and not (valid[False] >= quorum and valid[False] >= valid[True]):
            check.add(FAIL, claim=c["claim_id"], rule="rejected needs valid rejections >= quorum and >= approvals",
                      valid_approvals=valid[True], valid_rejections=valid[False], quorum=quorum)
        if c["status"] == "Expired" and (valid[True] >= quorum and valid[True] > valid[False]):
            check.add(FAIL, claim=c["claim_id"], rule="a claim with a valid quorum of approvals must not expire",
                      valid_approvals=valid[True], quorum=quorum)
    via = Counter(v["via"] for vs in votes.values() for v in vs)
    how = ", ".join(f"{n} via {k}" for k, n in sorted(via.items()))
    return check.settle(f"{counts['Accepted']} accepted, {counts['Rejected']} rejected, {counts['Expired']} expired "
                        f"claims; {sum(via.values())} votes ({how}); {len(check.problems())} problems")


def _vote_problem(claim: dict, vote: dict, job: dict, deadline: int, history: StakeHistory) -> str | None:
    if vote["signer"] is None:
        if vote["via"] in ("indirect", "unknown", "undecodable"):
            return f"unverifiable: the vote's transaction is {vote['via']} (no signer recoverable)"
        return f"no valid authorization: {vote['via']} transaction does not carry this verifier's vote or signature"
    if vote["signer"].lower() != vote["verifier"].lower():
        return f"signed by {vote['signer']}, not by the verifier"
    if vote["verifier"].lower() == claim["worker"].lower():
        return "the worker voted on its own claim"
    if claim["seed"] is None:
        return f"unverifiable: seed block {claim['seed_block']} not read"
    if vote["seed"] != claim["seed"]:
        return f"seed {vote['seed']} is not blockhash({claim['seed_block']}) = {claim['seed']}"
    if not claim["seed_block"] < vote["block"] <= deadline:
        return f"cast in block {vote['block']}, outside the voting window {claim['seed_block'] + 1}..{deadline}"
    active = history.active_before(vote["verifier"], "verifier", vote["block"], vote["log_index"])
    if active < int(job["min_verifier_stake"]):
        return f"verifier stake {active} wei below the job's minimum {job['min_verifier_stake']} when voting"
    return None


# -- money ---------------------------------------------------------------------------------------------------

def expected_settlement(claim: dict, job: dict, votes: list[dict], history: StakeHistory) -> dict:
    """What finalizing `claim` must credit, slash and release (contracts: _settleWorker, _settleVoters, _closeClaim)."""
    credits: list[tuple[str, str, int]] = []  # (account, reason, amount)
    slashes: list[tuple[str, str, int]] = []  # (account, role, amount)
    status = claim["status"]
    reward, fee = int(job["reward_per_claim"]), int(job["verifier_fee"])
    at = (claim["finalized_block"], claim["finalized_log_index"])
    if status == "Expired":
        return {"credits": credits, "slashes": slashes,
                "released": reward + fee * job["max_votes"]}
    accept_wins = status == "Accepted"
    winners = [v for v in votes if bool(v["approve"]) == accept_wins]
    losers = [v for v in votes if bool(v["approve"]) != accept_wins]
    slashed = 0
    paid = fee * len(winners)
    if accept_wins:
        credits.append((claim["worker"], "Reward", reward))
        paid += reward
    else:
        cut = min(int(job["worker_slash"]), history.active_before(claim["worker"], "worker", *at))
        if cut:
            slashes.append((claim["worker"], "worker", cut))
            slashed += cut
    for v in losers:
        cut = min(int(job["verifier_slash"]), history.active_before(v["verifier"], "verifier", *at))
        if cut:
            slashes.append((v["verifier"], "verifier", cut))
            slashed += cut
    share = slashed // len(winners) if winners else 0
    dust = slashed - share * len(winners)
    for v in winners:
        if fee:
            credits.append((v["verifier"], "Fee", fee))
        if share:
            credits.append((v["verifier"], "SlashShare", share))
    return {"credits": credits, "slashes": slashes, "released": reward + fee * job["max_votes"] - paid + dust}


def check_credits(db: sqlite_utils.Database, snap: Snapshot) -> CheckResult:
    """Credits and slashes are exactly what the finalized claims imply; withdrawals took what was credited."""
    check = CheckResult("credits", "credits and slashes equal what accepted claims, fees and slashes imply")
    jobs, history = _jobs(db), StakeHistory(db)
    votes = defaultdict(list)
    for v in rows(db, "select * from votes"):
        votes[v["claim_id"]].append(v)
    got_credits = defaultdict(list)
    for r in rows(db, "select * from credits order by id"):
        got_credits[r["claim_id"]].append((r["account"], r["reason"], int(r["amount"])))
    got_slashes = defaultdict(list)
    for r in rows(db, "select * from slashes order by id"):
        got_slashes[r["claim_id"]].append((r["account"], r["role"], int(r["amount"])))
    released = {r["claim_id"]: int(r["amount"])
                for r in rows(db, "select * from escrow_changes where kind = 'released'")}
    total = 0
    settled = 0
    for c in rows(db, "select * from claims order by claim_id"):
        if c["status"] == "Pending":
            if got_credits.get(c["claim_id"]) or got_slashes.get(c["claim_id"]) or c["claim_id"] in released:
                check.add(FAIL, claim=c["claim_id"], rule="a pending claim moves no money")
            continue
        settled += 1
        want = expected_settlement(c, jobs[c["job_id"]], votes[c["claim_id"]], history)
        if sorted(want["credits"]) != sorted(got_credits.get(c["claim_id"], [])):
            check.add(FAIL, claim=c["claim_id"], status=c["status"], rule="credits", expected=sorted(want["credits"]),
                      credited=sorted(got_credits.get(c["claim_id"], [])))
        if sorted(want["slashes"]) != sorted(got_slashes.get(c["claim_id"], [])):
            check.add(FAIL, claim=c["claim_id"], status=c["status"], rule="slashes", expected=sorted(want["slashes"]),
                      slashed=sorted(got_slashes.get(c["claim_id"], [])))
        if released.get(c["claim_id"]) != want["released"]:
            check.add(FAIL, claim=c["claim_id"], rule="escrow released on finalization",
                      expected=want["released"], released=released.get(c["claim_id"]))
        total += sum(a for _, _, a in want["credits"])
    orphans = set(got_credits) - {c["claim_id"] for c in rows(db, "select claim_id from claims")}
    for claim_id in sorted(orphans):
        check.add(FAIL, claim=claim_id, rule="credits name an existing claim")

    # Withdrawals take an account's whole credit; what remains is the contract's creditOf.
    balance = defaultdict(int)
    events = [(r["block"], r["log_index"], "credit", r["account"], int(r["amount"]))
              for r in rows(db, "select * from credits")]
    events += [(r["block"], r["log_index"], "withdraw", r["account"], int(r["amount"]))
               for r in rows(db, "select * from withdrawals")]
    for block, _, kind, account, amount in sorted(events):
        if kind == "credit":
            balance[account] += amount
        else:
            if amount != balance[account]:
                check.add(FAIL, account=account, block=block, rule="withdraw pays the whole credit",
                          credited=balance[account], withdrawn=amount)
            balance[account] = 0
    for account in set(balance) | set(snap.credits):
        if balance.get(account, 0) != snap.credits.get(account, 0):
            check.add(FAIL, account=account, rule="credit left equals creditOf", rebuilt=balance.get(account, 0),
                      contract=snap.credits.get(account, 0))
    if sum(balance.values()) != snap.total_credits:
        check.add(FAIL, rule="sum of credits equals totalCredits", rebuilt=sum(balance.values()),
                  contract=snap.total_credits)
    return check.settle(f"{settled} finalized claims credited {total / 1e18:.4f} ETH as implied; "
                        f"{sum(balance.values()) / 1e18:.4f} ETH of credit not yet withdrawn")


def check_eth_balance(db: sqlite_utils.Database, snap: Snapshot) -> CheckResult:
    """Invariant 1: the contract's ETH == escrow (with reservations) + credits + stakes, by views and by events."""
    check = CheckResult("eth_balance", "contract ETH equals escrow + credits + stakes")
    escrow = sum(int(j["escrow"]) + int(j["reserved"]) for j in rows(db, "select * from jobs"))
    stakes = sum(int(s["active"]) + int(s["unbonding"]) for s in rows(db, "select * from stakes"))
    credits = sum(int(r["amount"]) for r in rows(db, "select amount from credits")) - \
        sum(int(r["amount"]) for r in rows(db, "select amount from withdrawals"))
    views = snap.total_escrow + snap.total_credits + snap.total_stakes
    if snap.balance != views:
        check.add(FAIL, rule="balance == totalEscrow + totalCredits + totalStakes", balance=snap.balance,
                  total_escrow=snap.total_escrow, total_credits=snap.total_credits, total_stakes=snap.total_stakes)
    for name, rebuilt, contract in (("escrow", escrow, snap.total_escrow), ("credits", credits, snap.total_credits),
                                    ("stakes", stakes, snap.total_stakes)):
        if rebuilt != contract:
            check.add(FAIL, rule=f"{name} rebuilt from events equals the contract's total", rebuilt=rebuilt,
                      contract=contract)
    if escrow + credits + stakes != snap.balance:
        check.add(FAIL, rule="balance == escrow + credits + stakes rebuilt from events", balance=snap.balance,
                  rebuilt=escrow + credits + stakes)
    return check.settle(f"{snap.balance / 1e18:.4f} ETH held = {escrow / 1e18:.4f} escrow + {credits / 1e18:.4f} "
                        f"credits + {stakes / 1e18:.4f} stakes")


# -- the rebuilt ledger against the contract's views ------------------------------------------------------------

def check_ledger_state(db: sqlite_utils.Database, snap: Snapshot) -> CheckResult:
    """The ledger rebuilt from events alone equals the contract's own views at the snapshot block."""
    check = CheckResult("ledger_state", "the ledger rebuilt from events matches the contract's views")
    jobs = _jobs(db)
    claims = {c["claim_id"]: c for c in rows(db, "select * from claims")}
    proposals = rows(db, "select max(proposal_id) as n from proposals")[0]["n"] or 0
    rebuilt_counters = (max(jobs, default=0), max(claims, default=0), proposals)
    if rebuilt_counters != tuple(snap.counters):
        check.add(FAIL, rule="counters", rebuilt=rebuilt_counters, contract=tuple(snap.counters))
    for job_id, view in snap.jobs.items():
        j = jobs.get(job_id)
        if j is None:
            check.add(FAIL, job=job_id, rule="job created by an event")
            continue
        open_claims = sum(1 for c in claims.values() if c["job_id"] == job_id and c["status"] == "Pending")
        rebuilt = {"escrow": int(j["escrow"]), "reserved": int(j["reserved"]), "round": j["round"], "head": j["head"],
                   "open_claims": open_claims}
        for key, value in rebuilt.items():
            if view[key] != value:
                check.add(FAIL, job=job_id, field=key, rebuilt=value, contract=view[key])
    for claim_id, view in snap.claims.items():
        c = claims.get(claim_id)
        if c is None:
            check.add(FAIL, claim=claim_id, rule="claim submitted by an event")
            continue
        for key in ("status", "approvals", "rejections"):
            if view[key] != c[key]:
                check.add(FAIL, claim=claim_id, field=key, rebuilt=c[key], contract=view[key])
    for (account, role), view in snap.stakes.items():
        (s,) = rows(db, "select * from stakes where account = ? and role = ?", (account, role)) or [None]
        rebuilt = (int(s["active"]), int(s["unbonding"])) if s else (0, 0)
        if rebuilt != (view["active"], view["unbonding"]):
            check.add(FAIL, account=account, role=role, field="stake (active, unbonding)", rebuilt=rebuilt,
                      contract=(view["active"], view["unbonding"]))
    for (job_id, round_), view in snap.rounds.items():
        accepted = rows(db, "select claim_id, result from claims where job_id = ? and round = ? and "
                            "status = 'Accepted' order by finalize_index", (job_id, round_))
        acc = accepted_accumulator([(c["claim_id"], c["result"]) for c in accepted])
        if (len(accepted), acc) != (view["accepted_count"], view["accepted_acc"]):
            check.add(FAIL, job=job_id, round=round_, field="accepted claims (count, accumulator)",
                      rebuilt=(len(accepted), acc), contract=(view["accepted_count"], view["accepted_acc"]))
    return check.settle(f"{len(snap.jobs)} jobs, {len(snap.claims)} claims, {len(snap.stakes)} stakes and "
                        f"{len(snap.rounds)} rounds agree with the contract at block {snap.block}")


# -- heads ---------------------------------------------------------------------------------------------------

def check_head_chain(db: sqlite_utils.Database) -> CheckResult:
    """Invariant 3: each job's heads form one chain from its genesis, each link an accepted head proposal."""
    check = CheckResult("head_chain", "heads form one chain from genesis")
    jobs = _jobs(db)
    links = 0
    for job_id, job in jobs.items():
        heads = rows(db, "select * from heads where job_id = ? order by round", (job_id,))
        rounds = {r["round"]: r for r in rows(db, "select * from rounds where job_id = ?", (job_id,))}
        previous = None
        for h in heads:
            if previous is None:
                if h["round"] != 0 or h["head"] != job["genesis_head"]:
                    check.add(FAIL, job=job_id, round=h["round"], rule="the chain starts at the genesis head")
            else:
                links += 1
                if h["round"] != previous["round"] + 1:
                    check.add(FAIL, job=job_id, round=h["round"], rule="rounds advance one at a time",
                              previous_round=previous["round"])
                if h["parent"] != previous["head"]:
                    check.add(FAIL, job=job_id, round=h["round"], rule="parent is the previous head",
                              parent=h["parent"], previous_head=previous["head"])
                proposal = rows(db, "select * from proposals where proposal_id = ?", (h["proposal_id"],))
                if not proposal or proposal[0]["status"] != "Accepted" or proposal[0]["new_head"] != h["head"] \
                        or proposal[0]["round"] != previous["round"] or proposal[0]["parent"] != previous["head"]:
                    check.add(FAIL, job=job_id, round=h["round"], rule="each head is an accepted proposal for it",
                              proposal=h["proposal_id"])
                elif proposal[0]["accepted_claims_root"] != _round_accumulator(db, job_id, previous["round"]):
                    check.add(FAIL, job=job_id, round=previous["round"],
                              rule="the proposal's acceptedClaimsRoot is the round's accepted claims")
                accepted = rounds.get(previous["round"], {}).get("accepted", 0)
                if accepted == 0 and h["head"] != previous["head"]:
                    check.add(FAIL, job=job_id, round=previous["round"], rule="a round with no accepted claim keeps "
                              "its head", head=h["head"], kept=previous["head"])
            started = rounds.get(h["round"])
            if started is None or started["head"] != h["head"]:
                check.add(FAIL, job=job_id, round=h["round"], rule="RoundStarted names the head",
                          started=started and started["head"], head=h["head"])
            previous = h
        if previous is not None and previous["head"] != job["head"]:
            check.add(FAIL, job=job_id, rule="the last head is the job's head", last=previous["head"],
                      job_head=job["head"])
        for c in rows(db, "select c.claim_id, c.base, c.round, r.head from claims c join rounds r on "
                          "r.job_id = c.job_id and r.round = c.round where c.job_id = ?", (job_id,)):
            if c["base"] != c["head"]:
                check.add(FAIL, job=job_id, claim=c["claim_id"], rule="a claim trains from its round's head",
                          base=c["base"], head=c["head"])
    return check.settle(f"{len(jobs)} jobs, {links} head links, each parent the previous head")


def _round_accumulator(db: sqlite_utils.Database, job_id: int, round_: int) -> str:
    accepted = rows(db, "select claim_id, result from claims where job_id = ? and round = ? and status = 'Accepted' "
                        "order by finalize_index", (job_id, round_))
    return accepted_accumulator([(c["claim_id"], c["result"]) for c in accepted])


def all_ledger_checks(db: sqlite_utils.Database, snap: Snapshot) -> list[CheckResult]:
    return [check_ledger_state(db, snap), check_claim_votes(db), check_credits(db, snap),
            check_eth_balance(db, snap), check_head_chain(db)]


__all__ = ["Snapshot", "all_ledger_checks", "accepted_accumulator", "expected_settlement", "StakeHistory",
           "PASS", "FAIL", "UNVERIFIABLE"]
