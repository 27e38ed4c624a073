"""Derive the browsable ledger tables from the raw event log, replaying events in chain order.

Nothing here talks to the chain: the tables are a pure function of `events`, `transactions` and `blocks`, so
they are dropped and rebuilt on every run (a resumed read can never leave them half-updated). Where an event
states a running total (newActive, newEscrow) the replay keeps its own total too; the checks compare them.
"""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlite_utils
from eth_utils import to_checksum_address

from node.chain.client import Ledger
from node.chain.enums import ClaimStatus, CreditReason, ProposalStatus, Role, label
from verifier.attestation import recover_signer

from .db import create_derived, drop_derived
from .ingest import SEED_DELAY



def events(db: sqlite_utils.Database) -> list[dict]:
    """Every stored event in chain order, args parsed."""
    rows = db.query("select * from events order by block, log_index")
    return [{**r, "args": json.loads(r["args"])} for r in rows]


def reservation(job: dict) -> int:
    """Escrow a submission reserves: rewardPerClaim + verifierFee * maxVotes (LedgerRules.reservation)."""
    return int(job["reward_per_claim"]) + int(job["verifier_fee"]) * job["max_votes"]


def rebuild(db: sqlite_utils.Database, ledger: Ledger, chain_id: int) -> None:
    """Drop and rebuild every derived table from the raw log."""
    state = _replay(db, ledger, chain_id)
    with db.conn:
        drop_derived(db)
        create_derived(db)
        for table in ("jobs", "rounds", "heads", "proposals", "head_votes", "claims", "votes", "stake_changes",
                      "slashes", "credits", "withdrawals", "escrow_changes"):
            rows = state[table]
            if isinstance(rows, dict):
                rows = list(rows.values())
            if rows:
                db[table].insert_all(_stringify_wei(rows))
        db["stakes"].insert_all(_stringify_wei(list(state["stakes"].values())))


def _stringify_wei(rows: list[dict]) -> list[dict]:
    # Wei amounts can exceed SQLite's 64-bit integers: every int >= 2**63 or named like an amount is TEXT.
    return [{k: (str(v) if isinstance(v, int) and not isinstance(v, bool) and (k in _WEI or abs(v) >= 2**63) else v)
             for k, v in row.items()} for row in rows]


_WEI = {"reward_per_claim", "verifier_fee", "min_worker_stake", "min_verifier_stake", "worker_slash",
        "verifier_slash", "initial_escrow", "escrow", "reserved", "active", "unbonding", "staked", "withdrawn",
        "slashed", "amount", "new_active", "new_escrow"}


def _replay(db: sqlite_utils.Database, ledger: Ledger, chain_id: int) -> dict[str, Any]:
    txs = {r["tx_hash"]: r for r in db.query("select * from transactions")}
    seeds = {r["number"]: r["hash"] for r in db.query("select * from blocks")}
    s: dict[str, Any] = {name: {} for name in ("jobs", "rounds", "heads", "proposals", "claims", "votes",
                                               "head_votes", "stakes")}
    for name in ("stake_changes", "slashes", "credits", "withdrawals", "escrow_changes"):
        s[name] = []
    finalize_index = defaultdict(int)  # (job, round) -> accepted claims finalized so far
    proposal_by_tx: dict[str, int] = {}

    def stake(account: str, role: int) -> dict:
        key = (account, Role(role).label)
        if key not in s["stakes"]:
            s["stakes"][key] = {"account": account, "role": Role(role).label, "active": 0, "unbonding": 0, "staked": 0,
                                "withdrawn": 0, "slashed": 0}
        return s["stakes"][key]

    def stake_change(e: dict, account: str, role: int, kind: str, amount: int, claim_id: int | None = None):
        st = stake(account, role)
        s["stake_changes"].append({"id": len(s["stake_changes"]) + 1, "account": account, "role": Role(role).label,
                                   "kind": kind, "amount": amount, "new_active": st["active"], "block": e["block"],
                                   "log_index": e["log_index"], "claim_id": claim_id})

    def escrow_change(e: dict, job_id: int, kind: str, amount: int, account=None, claim_id=None):
        job = s["jobs"][job_id]
        s["escrow_changes"].append({"id": len(s["escrow_changes"]) + 1, "job_id": job_id, "kind": kind,
                                    "amount": amount, "new_escrow": job["escrow"], "account": account,
                                    "claim_id": claim_id, "block": e["block"]})

    for e in events(db):
        a, name = e["args"], e["name"]
        if name == "JobCreated":
            p = a["params"]
            s["jobs"][a["jobId"]] = {
                "job_id": a["jobId"], "owner": a["owner"], "spec_hash": a["specHash"], "genesis_head": a["genesisHead"],
                "reward_per_claim": p["rewardPerClaim"], "verifier_fee": p["verifierFee"], "quorum": p["quorum"],
                "max_votes": p["maxVotes"], "submit_window": p["submitWindow"], "verify_window": p["verifyWindow"],
                "min_worker_stake": p["minWorkerStake"], "min_verifier_stake": p["minVerifierStake"],
                "worker_slash": p["workerSlash"], "verifier_slash": p["verifierSlash"], "initial_escrow": a["escrow"],
                "escrow": a["escrow"], "reserved": 0, "round": 0, "head": a["genesisHead"],
                "created_block": e["block"], "tx_hash": e["tx_hash"]}
            s["heads"][(a["jobId"], 0)] = {"job_id": a["jobId"], "round": 0, "parent": None, "head": a["genesisHead"],
                                           "block": e["block"], "tx_hash": e["tx_hash"], "proposal_id": None}
            escrow_change(e, a["jobId"], "created", a["escrow"], a["owner"])
        elif name == "RoundStarted":
            s["rounds"][(a["jobId"], a["round"])] = {"job_id": a["jobId"], "round": a["round"], "head": a["head"],
                                                     "start_block": a["startBlock"], "claims": 0, "accepted": 0,
                                                     "next_head": None}
            job = s["jobs"][a["jobId"]]
            job["round"], job["head"] = a["round"], a["head"]
        elif name == "JobFunded":
            s["jobs"][a["jobId"]]["escrow"] += a["amount"]
            escrow_change(e, a["jobId"], "funded", a["amount"], a["funder"])
        elif name == "EscrowWithdrawn":
            s["jobs"][a["jobId"]]["escrow"] -= a["amount"]
            escrow_change(e, a["jobId"], "withdrawn", a["amount"], a["owner"])
        elif name == "Staked":
            st = stake(a["account"], a["role"])
            st["active"] += a["amount"]
            st["staked"] += a["amount"]
            stake_change(e, a["account"], a["role"], "stake", a["amount"])
        elif name == "UnstakeRequested":
            st = stake(a["account"], a["role"])
            st["active"] -= a["amount"]
            st["unbonding"] += a["amount"]
            stake_change(e, a["account"], a["role"], "unstake", a["amount"])
        elif name == "StakeWithdrawn":
            st = stake(a["account"], a["role"])
            st["unbonding"] -= a["amount"]
            st["withdrawn"] += a["amount"]
            stake_change(e, a["account"], a["role"], "withdraw", a["amount"])
        elif name == "ClaimSubmitted":
            job = s["jobs"][a["jobId"]]
            held = reservation(job)
            job["escrow"] -= held
            job["reserved"] += held
            seed_block = a["submitBlock"] + SEED_DELAY
            s["claims"][a["claimId"]] = {
                "claim_id": a["claimId"], "job_id": a["jobId"], "round": a["round"], "worker": a["worker"],
                "base": a["base"], "result": a["result"], "transcript_root": a["transcriptRoot"], "steps": a["steps"],
                "artifact_uri": a["artifactURI"], "submit_block": a["submitBlock"], "submit_log_index": e["log_index"],
                "seed_block": seed_block,
                "seed": seeds.get(seed_block), "status": "Pending", "approvals": 0, "rejections": 0,
                "finalized_block": None, "finalized_log_index": None, "finalize_index": None,
                "tx_hash": e["tx_hash"]}
            round_row = s["rounds"].get((a["jobId"], a["round"]))
            if round_row:
                round_row["claims"] += 1
            escrow_change(e, a["jobId"], "reserved", held, a["worker"], a["claimId"])
        elif name == "Attested":
            via, signer, signature = _authorization(ledger, chain_id, txs.get(e["tx_hash"]), a)
            s["votes"][(a["claimId"], a["verifier"])] = {
                "claim_id": a["claimId"], "verifier": a["verifier"], "approve": int(a["approve"]), "seed": a["seed"],
                "block": e["block"], "log_index": e["log_index"], "tx_hash": e["tx_hash"], "via": via,
                "signer": signer, "signature": signature}
            # Running counts while the claim is pending; ClaimFinalized states the final ones (compared in checks).
            s["claims"][a["claimId"]]["approvals" if a["approve"] else "rejections"] += 1
        elif name == "ClaimFinalized":
            claim = s["claims"][a["claimId"]]
            claim.update(status=label(ClaimStatus, a["status"]), approvals=a["approvals"],
                         rejections=a["rejections"], finalized_block=e["block"], finalized_log_index=e["log_index"])
            if claim["status"] == "Accepted":
                key = (claim["job_id"], claim["round"])
                claim["finalize_index"] = finalize_index[key]
                finalize_index[key] += 1
                if key in s["rounds"]:
                    s["rounds"][key]["accepted"] += 1
        elif name == "EscrowReleased":
            job = s["jobs"][a["jobId"]]
            job["reserved"] -= reservation(job)
            job["escrow"] += a["amount"]
            escrow_change(e, a["jobId"], "released", a["amount"], None, a["claimId"])
        elif name == "Credited":
            s["credits"].append({"id": len(s["credits"]) + 1, "account": a["account"], "claim_id": a["claimId"],
                                 "amount": a["amount"], "reason": label(CreditReason, a["reason"]),
                                 "block": e["block"], "log_index": e["log_index"]})
        elif name == "Slashed":
            st = stake(a["account"], a["role"])
            st["active"] -= a["amount"]
            st["slashed"] += a["amount"]
            stake_change(e, a["account"], a["role"], "slash", a["amount"], a["claimId"])
            s["slashes"].append({"id": len(s["slashes"]) + 1, "account": a["account"], "role": Role(a["role"]).label,
                                 "claim_id": a["claimId"], "amount": a["amount"], "block": e["block"]})
        elif name == "Withdrawn":
            s["withdrawals"].append({"id": len(s["withdrawals"]) + 1, "account": a["account"], "amount": a["amount"],
                                     "block": e["block"], "log_index": e["log_index"], "tx_hash": e["tx_hash"]})
        elif name == "HeadProposed":
            s["proposals"][a["proposalId"]] = {
                "proposal_id": a["proposalId"], "job_id": a["jobId"], "round": a["round"], "proposer": a["proposer"],
                "parent": a["parent"], "new_head": a["newHead"], "accepted_claims_root": a["acceptedClaimsRoot"],
                "propose_block": a["proposeBlock"], "status": "Pending", "approvals": 0, "rejections": 0,
                "finalized_block": None}
        elif name == "HeadAttested":
            s["head_votes"][(a["proposalId"], a["verifier"])] = {
                "proposal_id": a["proposalId"], "verifier": a["verifier"], "approve": int(a["approve"]),
                "block": e["block"], "tx_hash": e["tx_hash"]}
            s["proposals"][a["proposalId"]]["approvals" if a["approve"] else "rejections"] += 1
        elif name == "HeadFinalized":
            s["proposals"][a["proposalId"]].update(
                status=label(ProposalStatus, a["status"]), approvals=a["approvals"],
                rejections=a["rejections"], finalized_block=e["block"])
            proposal_by_tx[e["tx_hash"]] = a["proposalId"]
        elif name == "HeadAdvanced":
            s["heads"][(a["jobId"], a["round"])] = {
                "job_id": a["jobId"], "round": a["round"], "parent": a["parent"], "head": a["head"],
                "block": e["block"], "tx_hash": e["tx_hash"], "proposal_id": proposal_by_tx.get(e["tx_hash"])}
            previous = s["rounds"].get((a["jobId"], a["round"] - 1))
            if previous:
                previous["next_head"] = a["head"]
    return s


def _authorization(ledger: Ledger, chain_id: int, tx: dict | None, vote: dict) -> tuple[str, str | None, str | None]:
    """(how the vote reached the chain, who authorized it, the signature): the tx sender for `attest`, the
    recovered EIP-712 signer for `attestBatch`. A vote whose transaction cannot be decoded has no signer."""
    if tx is None:
        return "unknown", None, None
    if tx["to_address"].lower() != ledger.address.lower():
        return "indirect", None, None  # sent through another contract: the input is not a ledger call
    try:
        function, params = ledger.contract.decode_function_input(tx["input"])
    except Exception:
        return "undecodable", None, None
    fn = function.fn_name
    if fn == "attest":
        if params["claimId"] != vote["claimId"]:
            return fn, None, None
        return fn, to_checksum_address(tx["sender"]), None
    if fn == "attestBatch":
        atts, signatures = list(params.values())[0], list(params.values())[1]
        names = [c["name"] for c in _batch_components(ledger)]
        for att, signature in zip(atts, signatures):
            values = dict(att) if hasattr(att, "keys") else dict(zip(names, att))
            if values.get("claimId") != vote["claimId"]:
                continue
            try:
                signer = recover_signer(ledger.artifact.abi, chain_id, ledger.address, values, bytes(signature))
            except Exception:
                continue
            if (signer.lower() == vote["verifier"].lower() and values.get("approve") == vote["approve"]
                    and "0x" + bytes(values.get("seed", b"")).hex() == vote["seed"]):
                return fn, signer, "0x" + bytes(signature).hex()
        return fn, None, None
    return fn, None, None


def _batch_components(ledger: Ledger) -> list[dict]:
    for entry in ledger.artifact.abi:
        if entry.get("type") == "function" and entry.get("name") == "attestBatch":
            return entry["inputs"][0]["components"]
    return []
