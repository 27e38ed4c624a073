"""The contract's views at the snapshot block, for everything the rebuilt v2 tables name (run.py reads it; the
checks compare it with what the events say)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from node.chain.errors import ContractRevert
from node.chain.v2.views import LedgerV2, Role


@dataclass
class SnapshotV2:
    block: int
    balance: int
    total_escrow: int
    total_credits: int
    total_stakes: int
    jobs: dict = field(default_factory=dict)  # job id -> JobState
    claims: dict = field(default_factory=dict)  # claim id -> ClaimInfo
    committees: dict = field(default_factory=dict)  # claim id -> committeeOf seats, or None (seed unavailable)
    disputes: dict = field(default_factory=dict)  # dispute id -> DisputeInfo
    juries: dict = field(default_factory=dict)  # dispute id -> juryOf seats (current attempt), or None
    proposals: dict = field(default_factory=dict)  # proposal id -> ProposalInfo
    stakes: dict = field(default_factory=dict)  # (account, role name) -> StakeInfo
    credits: dict = field(default_factory=dict)  # account -> creditOf
    seats: list = field(default_factory=list)  # seatAt(i) for i < seatCount


def read_snapshot(ledger: LedgerV2, tables: dict[str, list[dict]], block: int,
                  read: Callable[[str, Callable], object]) -> SnapshotV2:
    """`read(what, fn)` runs one RPC call with the audit's retries (ingest.Reader)."""

    def optional(what, fn):
        def attempt():
            try:
                return fn()
            except ContractRevert as exc:  # an answer, not an RPC failure: not retried
                if exc.name == "SeedUnavailable":
                    return None
                raise
        return read(what, attempt)

    w3 = ledger.w3
    snap = SnapshotV2(block=block,
                      balance=read("the ledger's balance", lambda: w3.eth.get_balance(ledger.address, block)),
                      total_escrow=read("totalEscrow", lambda: ledger.call("totalEscrow", block=block)),
                      total_credits=read("totalCredits", lambda: ledger.call("totalCredits", block=block)),
                      total_stakes=read("totalStakes", lambda: ledger.call("totalStakes", block=block)))
    count = read("seatCount", lambda: ledger.seat_count(block=block))
    snap.seats = [read(f"seatAt({i})", lambda: ledger.seat(i, block=block)) for i in range(count)]
    for j in tables["jobs"]:
        snap.jobs[j["job_id"]] = read(f"getJob({j['job_id']})", lambda: ledger.job(j["job_id"], block=block))
    for c in tables["claims"]:
        cid = c["claim_id"]
        snap.claims[cid] = read(f"getClaim({cid})", lambda: ledger.claim(cid, block=block))
        snap.committees[cid] = optional(f"committeeOf({cid})", lambda: ledger.committee(cid, block=block))
    for d in tables["disputes"]:
        did = d["dispute_id"]
        snap.disputes[did] = read(f"getDispute({did})", lambda: ledger.dispute(did, block=block))
        snap.juries[did] = optional(f"juryOf({did})", lambda: ledger.jury(did, block=block))
    for p in tables["proposals"]:
        pid = p["proposal_id"]
        snap.proposals[pid] = read(f"getProposal({pid})", lambda: ledger.proposal(pid, block=block))
    for s in tables["stakes"]:
        key = (s["account"], s["role"])
        snap.stakes[key] = read(f"stakeOf{key}", lambda: ledger.stake(s["account"], Role[s["role"].upper()],
                                                                        block=block))
    for account in sorted({s["account"] for s in tables["stakes"]}):
        snap.credits[account] = read(f"creditOf({account})", lambda: ledger.credit(account, block=block))
    return snap
