"""Derive the v2 tables from the raw event log, replaying events in chain order (a pure function of `events` and
`blocks`: dropped and rebuilt on every run).

Bond locks are not emitted (contracts/v2.md, Payments and events): each obligation's event opens a lock of the
job's bond (ClaimSubmitted claimBond, Approved approvalBond, Challenged/HeadChallenged challengeBond,
VerdictCommitted jurorBond, HeadProposed headBond) and the event that ends it closes the lock, whether the bond
came back or was slashed (ClaimFinalized; DisputeResolved; JuryRedrawn for the attempt it ends; HeadFinalized).
"""
from __future__ import annotations

import json
from collections import defaultdict

import sqlite_utils

from node.chain.v2 import rules
from node.chain.v2.views import (ClaimStatus, CreditReason, DisputeKind, DisputeStatus, ProposalStatus, Role,
                                 SlashReason, snake)
from verifier import committee as draws

from .store import TABLES, write

# Slashed/Credited name their subject by id only: the reason says which kind of id it is (ILedgerV2 Slashed).
SLASH_SUBJECT = {SlashReason.CLAIM_BOND: "claim", SlashReason.APPROVAL_BOND: "claim",
                 SlashReason.EXPIRY_PENALTY: "claim", SlashReason.MISS_PENALTY: "claim",
                 SlashReason.CHALLENGE_BOND: "dispute", SlashReason.JUROR_BOND: "dispute",
                 SlashReason.HEAD_BOND: "proposal"}
CREDIT_SUBJECT = {CreditReason.REWARD: "claim", CreditReason.FEE: "claim", CreditReason.SLASH_SHARE: "dispute"}

def events(db: sqlite_utils.Database) -> list[dict]:
    return [{**r, "args": json.loads(r["args"])}
            for r in db.query("select * from events order by block, log_index")]


def params_of(job_created_args: dict) -> dict:
    """JobCreated's params with snake_case keys (node/chain/v2/views.JobParams field names)."""
    return {snake(k): v for k, v in job_created_args["params"].items()}


def registry(seat_rows: list[dict]) -> list[draws.Seat]:
    """The rebuilt seat registry as verifier/committee.py takes it (append-only; retiredAt 0 = live)."""
    return [draws.Seat(s["seat_index"], s["account"], s["registered_at"], s["retired_at"] or 0)
            for s in sorted(seat_rows, key=lambda s: s["seat_index"])]


class Replay:
    """The ledger as the events tell it; `tables()` gives the rows."""

    def __init__(self, seeds: dict[int, str]):
        self.seeds = seeds  # block number -> 0x hash (the blocks table)
        self.t: dict[str, dict] = {name: {} for name in TABLES if name != "finality"}
        self.locks: dict[tuple[str, int], dict[tuple, int]] = defaultdict(dict)  # (account, role) -> open bonds
        self.finalized: dict[str, list] = defaultdict(list)  # kind -> ids, once per terminal event
        self.attempt_of: dict[int, int] = {}  # dispute id -> current attempt

    # -- helpers --------------------------------------------------------------------------------------------
    def stake(self, account: str, role: int) -> dict:
        key = (account, Role(role).name.lower())
        if key not in self.t["stakes"]:
            self.t["stakes"][key] = {"account": account, "role": key[1], "active": 0, "locked": 0, "unbonding": 0,
                                     "credit": 0, "staked": 0, "slashed": 0, "withdrawn": 0}
        return self.t["stakes"][key]

    def lock(self, account: str, role: int, obligation: tuple, amount: int) -> None:
        self.locks[(account, int(role))][obligation] = amount

    def unlock(self, account: str, role: int, obligation: tuple) -> None:
        self.locks[(account, int(role))].pop(obligation, None)

    def params(self, job_id: int) -> dict:
        return self.t["jobs"][job_id]["params"]

    def append(self, table: str, row: dict) -> None:
        row["id"] = len(self.t[table]) + 1
        self.t[table][row["id"]] = row

    # -- the replay -----------------------------------------------------------------------------------------
    def apply(self, e: dict) -> None:
        handler = getattr(self, "on_" + e["name"], None)
        if handler is not None:
            handler(e, e["args"])

    def on_JobCreated(self, e, a):
        self.t["jobs"][a["jobId"]] = {"job_id": a["jobId"], "owner": a["owner"], "spec_hash": a["specHash"],
                                      "genesis_head": a["genesisHead"], "params": params_of(a),
                                      "initial_escrow": a["escrow"], "escrow": a["escrow"], "reserved": 0,
                                      "round": 0, "head": a["genesisHead"], "created_block": e["block"]}
        self.t["heads"][(a["jobId"], 0)] = {"job_id": a["jobId"], "round": 0, "parent": None,
                                            "head": a["genesisHead"], "block": e["block"], "proposal_id": None}
        self.escrow(e, a["jobId"], None, "created", a["escrow"])

    def escrow(self, e, job_id, subject, kind, amount, new_escrow=None):
        self.append("escrow_changes", {"job_id": job_id, "subject_id": subject, "kind": kind, "amount": amount,
                                       "new_escrow": new_escrow, "rebuilt_escrow": self.t["jobs"][job_id]["escrow"],
                                       "block": e["block"], "tx_hash": e["tx_hash"]})

    def on_RoundStarted(self, e, a):
        self.t["rounds"][(a["jobId"], a["round"])] = {"job_id": a["jobId"], "round": a["round"], "head": a["head"],
                                                      "start_block": a["startBlock"], "claims": 0, "accepted": 0,
                                                      "accumulator": "0x" + "00" * 32}
        job = self.t["jobs"][a["jobId"]]
        job["round"], job["head"] = a["round"], a["head"]

    def on_JobFunded(self, e, a):
        self.t["jobs"][a["jobId"]]["escrow"] += a["amount"]
        self.escrow(e, a["jobId"], None, "funded", a["amount"], a["newEscrow"])

    def on_EscrowWithdrawn(self, e, a):
        self.t["jobs"][a["jobId"]]["escrow"] -= a["amount"]
        self.escrow(e, a["jobId"], None, "withdrawn", a["amount"], a["newEscrow"])

    def on_EscrowReleased(self, e, a):
        self.t["jobs"][a["jobId"]]["escrow"] += a["amount"]
        self.escrow(e, a["jobId"], a["subjectId"], "released", a["amount"], a["newEscrow"])

    def on_Staked(self, e, a):
        st = self.stake(a["account"], a["role"])
        st["active"] += a["amount"]
        st["staked"] += a["amount"]

    def on_UnstakeRequested(self, e, a):
        st = self.stake(a["account"], a["role"])
        st["active"] -= a["amount"]
        st["unbonding"] += a["amount"]

    def on_StakeWithdrawn(self, e, a):
        st = self.stake(a["account"], a["role"])
        st["unbonding"] -= a["amount"]
        st["withdrawn"] += a["amount"]

    def on_SeatRegistered(self, e, a):
        self.t["seats"][a["seatIndex"]] = {"seat_index": a["seatIndex"], "account": a["account"],
                                           "registered_at": a["registeredAt"], "retired_at": None}

    def on_SeatRetired(self, e, a):
        self.t["seats"][a["seatIndex"]]["retired_at"] = a["retiredAt"]

    def on_ClaimSubmitted(self, e, a):
        job = self.t["jobs"][a["jobId"]]
        p = job["params"]
        held = rules.reservation(p["reward_per_claim"], p["approval_fee"], p["committee_size"])
        job["escrow"] -= held
        job["reserved"] += held
        seed_block = rules.seed_block(a["submitBlock"])
        self.t["claims"][a["claimId"]] = {
            "claim_id": a["claimId"], "job_id": a["jobId"], "round": a["round"], "worker": a["worker"],
            "base": a["base"], "result": a["result"], "transcript_root": a["transcriptRoot"], "steps": a["steps"],
            "segments": a["steps"] // p["checkpoint_every"], "artifact_uri": a["artifactURI"],
            "submit_block": a["submitBlock"], "seat_count": a["seatCount"], "seed_block": seed_block,
            "seed": self.seeds.get(seed_block), "status": ClaimStatus.PENDING.name.title(), "approved_mask": 0,
            "approvals": 0, "dispute_id": None, "finalized_block": None, "finalize_index": None,
            "tx_hash": e["tx_hash"]}
        self.t["rounds"][(a["jobId"], a["round"])]["claims"] += 1
        self.lock(a["worker"], Role.WORKER, ("claim", a["claimId"]), p["claim_bond"])

    def on_Approved(self, e, a):
        claim = self.t["claims"][a["claimId"]]
        self.t["approvals"][(a["claimId"], a["member"])] = {
            "claim_id": a["claimId"], "member": a["member"], "seat_index": a["seatIndex"],
            "position": a["position"], "block": e["block"], "tx_hash": e["tx_hash"]}
        claim["approved_mask"] |= 1 << a["position"]
        claim["approvals"] += 1
        self.lock(a["member"], Role.VERIFIER, ("approval", a["claimId"]), self.params(claim["job_id"])["approval_bond"])

    def on_DisputeOpened(self, e, a):
        self.t["disputes"][a["disputeId"]] = {
            "dispute_id": a["disputeId"], "kind": DisputeKind(a["kind"]).name.title(), "subject_id": a["subjectId"],
            "job_id": a["jobId"], "open_block": a["openBlock"], "seat_count": a["seatCount"],
            "status": DisputeStatus.OPEN.name.title(), "segments": [], "faulty_mask": None, "reveals": None,
            "attempts": 1, "resolved_block": None, "resolved_tx": None}
        self.attempt_of[a["disputeId"]] = 0
        self.attempt(a["disputeId"], 0, a["openBlock"])
        if DisputeKind(a["kind"]) is DisputeKind.CLAIM:
            self.t["claims"][a["subjectId"]]["dispute_id"] = a["disputeId"]
        else:
            self.t["proposals"][a["subjectId"]]["dispute_id"] = a["disputeId"]

    def attempt(self, dispute_id: int, attempt: int, start: int) -> None:
        seed_block = rules.jury_seed_block(start)
        self.t["jury_attempts"][(dispute_id, attempt)] = {
            "dispute_id": dispute_id, "attempt": attempt, "start_block": start, "seed_block": seed_block,
            "seed": self.seeds.get(seed_block), "seats": None, "closed_by": None, "closed_block": None}

    def challenger(self, e, dispute_id: int, account: str, named: list[int], approvers: list[str],
                   draw_indices: list[int], named_mask: int) -> None:
        d = self.t["disputes"][dispute_id]
        position = sum(1 for k in self.t["challenges"] if k[0] == dispute_id)
        self.t["challenges"][(dispute_id, position)] = {
            "dispute_id": dispute_id, "position": position, "challenger": account, "segments": named,
            "approvers": approvers, "draw_indices": draw_indices, "named_mask": named_mask, "block": e["block"],
            "tx_hash": e["tx_hash"]}
        self.lock(account, Role.VERIFIER, ("challenge", dispute_id), self.params(d["job_id"])["challenge_bond"])

    def on_Challenged(self, e, a):
        d = self.t["disputes"][a["disputeId"]]
        mask = 0
        for seg in a["segments"]:  # the dispute's segment list grows in first-named order (LedgerV2Disputes._insert)
            if seg not in d["segments"]:
                d["segments"].append(seg)
            mask |= 1 << d["segments"].index(seg)
        self.challenger(e, a["disputeId"], a["challenger"], a["segments"], a["approvers"], a["drawIndices"], mask)

    def on_HeadChallenged(self, e, a):
        d = self.t["disputes"][a["disputeId"]]
        d["segments"] = [0]  # one verdict bit: the head is wrong
        self.challenger(e, a["disputeId"], a["challenger"], [0], [], [], 1)

    def on_JurySeated(self, e, a):
        self.t["jury_attempts"][(a["disputeId"], a["attempt"])]["seats"] = list(a["seats"])

    def on_VerdictCommitted(self, e, a):
        d = self.t["disputes"][a["disputeId"]]
        order = sum(1 for k in self.t["jury_votes"] if k[:2] == (a["disputeId"], a["attempt"]))
        self.t["jury_votes"][(a["disputeId"], a["attempt"], a["juror"])] = {
            "dispute_id": a["disputeId"], "attempt": a["attempt"], "juror": a["juror"], "commit_order": order,
            "commitment": a["commitment"], "commit_block": e["block"], "verdicts": None, "reveal_block": None}
        self.lock(a["juror"], Role.VERIFIER, ("juror", a["disputeId"], a["attempt"]),
                  self.params(d["job_id"])["juror_bond"])

    def on_VerdictRevealed(self, e, a):
        vote = self.t["jury_votes"][(a["disputeId"], a["attempt"], a["juror"])]
        vote["verdicts"], vote["reveal_block"] = a["verdicts"], e["block"]

    def close_attempt(self, e, dispute_id: int, how: str) -> None:
        attempt = self.attempt_of[dispute_id]
        row = self.t["jury_attempts"][(dispute_id, attempt)]
        row["closed_by"], row["closed_block"] = how, e["block"]
        for (d, at, juror) in list(self.t["jury_votes"]):
            if (d, at) == (dispute_id, attempt):
                self.unlock(juror, Role.VERIFIER, ("juror", dispute_id, attempt))

    def on_JuryRedrawn(self, e, a):
        self.close_attempt(e, a["disputeId"], "redrawn")
        self.attempt_of[a["disputeId"]] = a["attempt"]
        self.t["disputes"][a["disputeId"]]["attempts"] = a["attempt"] + 1
        self.attempt(a["disputeId"], a["attempt"], a["startBlock"])

    def on_DisputeResolved(self, e, a):
        d = self.t["disputes"][a["disputeId"]]
        self.finalized["dispute"].append(a["disputeId"])
        d.update(status=DisputeStatus(a["status"]).name.title().replace("_", ""), faulty_mask=a["faultyMask"],
                 reveals=a["reveals"], resolved_block=e["block"], resolved_tx=e["tx_hash"])
        self.close_attempt(e, a["disputeId"], "resolved" if a["status"] == DisputeStatus.RESOLVED else "no verdict")
        for c in self.t["challenges"].values():
            if c["dispute_id"] == a["disputeId"]:
                self.unlock(c["challenger"], Role.VERIFIER, ("challenge", a["disputeId"]))

    def on_ClaimFinalized(self, e, a):
        claim = self.t["claims"][a["claimId"]]
        self.finalized["claim"].append(a["claimId"])
        status = ClaimStatus(a["status"])
        claim.update(status=status.name.title(), finalized_block=e["block"], finalized_tx=e["tx_hash"],
                     finalized_approvals=a["approvals"])
        job = self.t["jobs"][claim["job_id"]]
        p = job["params"]
        job["reserved"] -= rules.reservation(p["reward_per_claim"], p["approval_fee"], p["committee_size"])
        if status is ClaimStatus.ACCEPTED:
            r = self.t["rounds"][(claim["job_id"], claim["round"])]
            claim["finalize_index"] = r["accepted"]
            r["accepted"] += 1
            r["accumulator"] = "0x" + rules.accumulate(bytes.fromhex(r["accumulator"][2:]), a["claimId"],
                                                       bytes.fromhex(claim["result"][2:])).hex()
        self.unlock(claim["worker"], Role.WORKER, ("claim", a["claimId"]))
        for (cid, member) in self.t["approvals"]:
            if cid == a["claimId"]:
                self.unlock(member, Role.VERIFIER, ("approval", cid))

    def on_Credited(self, e, a):
        reason = CreditReason(a["reason"])
        role = Role.WORKER if reason is CreditReason.REWARD else Role.VERIFIER
        if reason is CreditReason.SLASH_SHARE:
            d = self.t["disputes"].get(a["subjectId"])
            if d and d["kind"] == "Claim" and self.t["claims"][d["subject_id"]]["worker"] == a["account"]:
                role = Role.WORKER  # a no-fault claim dispute pays the worker's share to its worker record
        self.stake(a["account"], role)["credit"] += a["amount"]
        self.append("credits", {"account": a["account"], "role": role.name.lower(), "subject_id": a["subjectId"],
                                "subject_kind": CREDIT_SUBJECT[reason], "amount": a["amount"],
                                "reason": reason.name.lower(), "block": e["block"], "log_index": e["log_index"],
                                "tx_hash": e["tx_hash"]})

    def on_Slashed(self, e, a):
        reason = SlashReason(a["reason"])
        st = self.stake(a["account"], a["role"])
        locked_before = sum(self.locks[(a["account"], int(a["role"]))].values())
        attempt = self.attempt_of.get(a["subjectId"]) if SLASH_SUBJECT[reason] == "dispute" else None
        self.append("slashes", {"account": a["account"], "role": Role(a["role"]).name.lower(),
                                "subject_id": a["subjectId"], "subject_kind": SLASH_SUBJECT[reason],
                                "amount": a["amount"], "reason": reason.name.lower(), "attempt": attempt,
                                "active_before": st["active"], "locked_before": locked_before,
                                "block": e["block"], "log_index": e["log_index"], "tx_hash": e["tx_hash"]})
        st["active"] -= a["amount"]
        st["slashed"] += a["amount"]

    def on_Withdrawn(self, e, a):
        for role in (Role.WORKER, Role.VERIFIER):
            key = (a["account"], role.name.lower())
            if key in self.t["stakes"]:
                self.t["stakes"][key]["credit"] = 0
        self.append("withdrawals", {"account": a["account"], "amount": a["amount"], "block": e["block"],
                                    "log_index": e["log_index"], "tx_hash": e["tx_hash"]})

    def on_HeadProposed(self, e, a):
        self.t["proposals"][a["proposalId"]] = {
            "proposal_id": a["proposalId"], "job_id": a["jobId"], "round": a["round"], "proposer": a["proposer"],
            "parent": a["parent"], "new_head": a["newHead"], "accepted_claims_root": a["acceptedClaimsRoot"],
            "propose_block": a["proposeBlock"], "status": ProposalStatus.PENDING.name.title(), "dispute_id": None,
            "finalized_block": None, "tx_hash": e["tx_hash"]}
        self.lock(a["proposer"], Role.VERIFIER, ("head", a["proposalId"]), self.params(a["jobId"])["head_bond"])

    def on_HeadFinalized(self, e, a):
        pr = self.t["proposals"][a["proposalId"]]
        self.finalized["proposal"].append(a["proposalId"])
        pr.update(status=ProposalStatus(a["status"]).name.title(), finalized_block=e["block"],
                  finalized_tx=e["tx_hash"])
        self.unlock(pr["proposer"], Role.VERIFIER, ("head", a["proposalId"]))

    def on_HeadAdvanced(self, e, a):
        proposal = next((p["proposal_id"] for p in self.t["proposals"].values()
                         if p.get("finalized_tx") == e["tx_hash"] and p["job_id"] == a["jobId"]), None)
        self.t["heads"][(a["jobId"], a["round"])] = {"job_id": a["jobId"], "round": a["round"], "parent": a["parent"],
                                                     "head": a["head"], "block": e["block"], "proposal_id": proposal}

    # -- output ---------------------------------------------------------------------------------------------
    def tables(self) -> dict[str, list[dict]]:
        for (account, role), bonds in self.locks.items():
            self.stake(account, role)["locked"] = sum(bonds.values())
        self.committees()
        return {name: list(rows.values()) for name, rows in self.t.items()}

    def committees(self) -> None:
        """Each claim's committee recomputed from the rebuilt registry (verifier/committee.py), where its seed is
        known; the checks compare it with committeeOf and the Approved events."""
        seats = registry(list(self.t["seats"].values()))
        for c in self.t["claims"].values():
            if not c["seed"]:
                continue
            size = self.params(c["job_id"])["committee_size"]
            drawn = draws.committee(bytes.fromhex(c["seed"][2:]), c["claim_id"], seats, c["seat_count"],
                                    c["submit_block"], size, c["worker"]) if c["seat_count"] else []
            for position, index in enumerate(drawn):
                self.t["committees"][(c["claim_id"], position)] = {
                    "claim_id": c["claim_id"], "position": position, "seat_index": index,
                    "account": seats[index].account}


def replay(db: sqlite_utils.Database) -> Replay:
    seeds = {r["number"]: r["hash"] for r in db.query("select * from blocks")}
    r = Replay(seeds)
    for e in events(db):
        r.apply(e)
    return r


def rebuild(db: sqlite_utils.Database) -> dict[str, list[dict]]:
    """Drop and rebuild every v2 table from the raw log; returns the rows (Python values, not SQLite cells)."""
    state = replay(db)
    tables = state.tables()
    tables["finality"] = [{"kind": k, "subject_id": i, "n": ids.count(i)}
                          for k, ids in state.finalized.items() for i in sorted(set(ids))]
    write(db, tables)
    return tables
