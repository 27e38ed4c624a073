"""An address's money trail, read from ledger events only: stakes, claims, rewards, fees, slashes, withdrawals."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hexbytes import HexBytes

from node.chain.client import Ledger

from .amounts import format_eth
from .session import ROLE_NAMES

CREDIT_KINDS = {0: "reward", 1: "fee", 2: "slash-share"}  # the contract's CreditReason enum

# event name -> the argument that names the account it concerns
ACCOUNT_FIELD = {
    "Staked": "account",
    "UnstakeRequested": "account",
    "StakeWithdrawn": "account",
    "ClaimSubmitted": "worker",
    "Attested": "verifier",
    "Credited": "account",
    "Slashed": "account",
    "Withdrawn": "account",
    "JobCreated": "owner",
    "JobFunded": "funder",
    "EscrowWithdrawn": "owner",
}


@dataclass(frozen=True)
class HistoryEntry:
    """One event that moved (or locked) this address's ETH. `amount_wei` is 0 where nothing moved."""

    block: int
    tx_hash: str
    kind: str  # stake | unstake-requested | stake-withdrawn | claim | vote | reward | fee | slash-share | slash
    #            | withdrawal | job-created | job-funded | escrow-withdrawn
    #            (v2 adds seat-registered | seat-retired | approval | challenge)
    amount_wei: int
    role: str | None = None
    claim_id: int | None = None
    job_id: int | None = None
    detail: str = ""
    # v2 only (history_v2.py): what a slash or slash share concerns, and the contract's reason name
    dispute_id: int | None = None
    proposal_id: int | None = None
    seat: int | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["amount_wei"] = str(self.amount_wei)  # JSON numbers lose precision above 2**53
        for key in V2_FIELDS:  # v1 output keeps its keys
            if data[key] is None:
                del data[key]
        return data


V2_FIELDS = ("dispute_id", "proposal_id", "seat", "reason")


def _entry(event: Any) -> HistoryEntry:
    name, args = event["event"], event["args"]
    common = dict(block=event["blockNumber"], tx_hash=HexBytes(event["transactionHash"]).to_0x_hex())
    role = ROLE_NAMES.get(int(args["role"])) if "role" in args else None
    if name == "Staked":
        return HistoryEntry(kind="stake", amount_wei=args["amount"], role=role,
                            detail=f"active stake now {format_eth(args['newActive'])}", **common)
    if name == "UnstakeRequested":
        return HistoryEntry(kind="unstake-requested", amount_wei=args["amount"], role=role,
                            detail=f"unbonding {format_eth(args['newUnbonding'])} until block {args['unlockBlock']}", **common)
    if name == "StakeWithdrawn":
        return HistoryEntry(kind="stake-withdrawn", amount_wei=args["amount"], role=role, **common)
    if name == "ClaimSubmitted":
        return HistoryEntry(kind="claim", amount_wei=0, role="worker", claim_id=args["claimId"], job_id=args["jobId"],
                            detail=f"round {args['round']}, {args['steps']} steps", **common)
    if name == "Attested":
        return HistoryEntry(kind="vote", amount_wei=0, role="verifier", claim_id=args["claimId"],
                            detail="approve" if args["approve"] else "reject", **common)
    if name == "Credited":
        return HistoryEntry(kind=CREDIT_KINDS.get(int(args["reason"]), "credit"), amount_wei=args["amount"],
                            claim_id=args["claimId"], **common)
    if name == "Slashed":
        return HistoryEntry(kind="slash", amount_wei=args["amount"], role=role, claim_id=args["claimId"], **common)
    if name == "Withdrawn":
        return HistoryEntry(kind="withdrawal", amount_wei=args["amount"], **common)
    if name == "JobCreated":
        return HistoryEntry(kind="job-created", amount_wei=args["escrow"], job_id=args["jobId"], **common)
    if name == "JobFunded":
        return HistoryEntry(kind="job-funded", amount_wei=args["amount"], job_id=args["jobId"], **common)
    if name == "EscrowWithdrawn":
        return HistoryEntry(kind="escrow-withdrawn", amount_wei=args["amount"], job_id=args["jobId"], **common)
    raise ValueError(f"no history entry for event {name}")


def _indexed(ledger: Ledger, event: str, field: str) -> bool:
    entry = next(e for e in ledger.artifact.abi if e.get("type") == "event" and e["name"] == event)
    return any(i["name"] == field and i.get("indexed") for i in entry["inputs"])


def address_events(ledger: Ledger, address: str, from_block: int, to_block: int | str = "latest") -> list:
    """Decoded ledger events naming `address` in their account field, in chain order.

    Indexed account fields are filtered by topic on the node; the rest (ClaimSubmitted's worker) here.
    """
    address = ledger.w3.to_checksum_address(address)
    known = {e["name"] for e in ledger.artifact.abi if e.get("type") == "event"}
    found = []
    for name, field in ACCOUNT_FIELD.items():
        if name not in known:
            continue
        event_type = getattr(ledger.contract.events, name)()
        filters = {field: address} if _indexed(ledger, name, field) else None
        logs = event_type.get_logs(from_block=from_block, to_block=to_block, argument_filters=filters)
        found += [log for log in logs if log["args"][field] == address]
    return sorted(found, key=lambda log: (log["blockNumber"], log["logIndex"]))


def address_history(ledger: Ledger, address: str, from_block: int, kinds: set[str] | None = None,
                    to_block: int | str = "latest") -> list[HistoryEntry]:
    """Every event since `from_block` that concerns `address`, in chain order (optionally only some kinds)."""
    entries = [_entry(event) for event in address_events(ledger, address, from_block, to_block)]
    return [e for e in entries if kinds is None or e.kind in kinds]
