"""An address's money trail on LedgerV2, from its events only: stakes, seats, claims, approvals, challenges,
credits (reward, fee, slash share), slashes (which bond or penalty, and of which claim, dispute or proposal),
withdrawals and job escrow.

Labels come from node/chain/v2/views.py's enums (CreditReason, SlashReason, Role): never retyped numbers.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hexbytes import HexBytes

from node.chain.v2.views import CreditReason, LedgerV2, Role, SlashReason

from .amounts import format_eth

# event name -> the argument that names the account it concerns
ACCOUNT_FIELD_V2 = {
    "Staked": "account",
    "UnstakeRequested": "account",
    "StakeWithdrawn": "account",
    "SeatRegistered": "account",
    "SeatRetired": "account",
    "ClaimSubmitted": "worker",
    "Approved": "member",
    "Challenged": "challenger",
    "Credited": "account",
    "Slashed": "account",
    "Withdrawn": "account",
    "JobCreated": "owner",
    "JobFunded": "funder",
    "EscrowWithdrawn": "owner",
}

# What a Slashed/Credited subjectId names (ILedgerV2's Slashed NatSpec; SlashShare is paid per dispute).
CLAIM_SLASHES = {SlashReason.CLAIM_BOND, SlashReason.APPROVAL_BOND, SlashReason.EXPIRY_PENALTY,
                 SlashReason.MISS_PENALTY}
DISPUTE_SLASHES = {SlashReason.CHALLENGE_BOND, SlashReason.JUROR_BOND}


def label(member) -> str:
    """SlashReason.MISS_PENALTY -> 'miss-penalty' (the enum's own name, spelled as the CLI prints kinds)."""
    return member.name.lower().replace("_", "-")


def _subject(reason, subject_id: int) -> dict[str, int]:
    if reason in CLAIM_SLASHES or reason in (CreditReason.REWARD, CreditReason.FEE):
        return {"claim_id": subject_id}
    if reason in DISPUTE_SLASHES or reason is CreditReason.SLASH_SHARE:
        return {"dispute_id": subject_id}
    return {"proposal_id": subject_id}  # HeadBond


@dataclass(frozen=True)
class HistoryEntry:
    """One event that moved (or locked) this address's ETH. `amount_wei` is 0 where nothing moved."""

    block: int
    tx_hash: str
    kind: str  # stake | unstake-requested | stake-withdrawn | claim | vote | reward | fee | slash-share | slash
    #            | withdrawal | job-created | job-funded | escrow-withdrawn
    #            | seat-registered | seat-retired | approval | challenge
    amount_wei: int
    role: str | None = None
    claim_id: int | None = None
    job_id: int | None = None
    detail: str = ""
    # what a slash or slash share concerns, and the contract's reason name (left out of to_json when None)
    dispute_id: int | None = None
    proposal_id: int | None = None
    seat: int | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["amount_wei"] = str(self.amount_wei)  # JSON numbers lose precision above 2**53
        for key in OPTIONAL_FIELDS:
            if data[key] is None:
                del data[key]
        return data


OPTIONAL_FIELDS = ("dispute_id", "proposal_id", "seat", "reason")


def _indexed(ledger: LedgerV2, event: str, field: str) -> bool:
    entry = next(e for e in ledger.artifact.abi if e.get("type") == "event" and e["name"] == event)
    return any(i["name"] == field and i.get("indexed") for i in entry["inputs"])


def entry_v2(event: Any) -> HistoryEntry:
    """One v2 event as a history entry."""
    name, args = event["event"], event["args"]
    common = dict(block=event["blockNumber"], tx_hash=HexBytes(event["transactionHash"]).to_0x_hex())
    role = Role(int(args["role"])).name.lower() if "role" in args else None
    if name == "Staked":
        return HistoryEntry(kind="stake", amount_wei=args["amount"], role=role,
                            detail=f"active stake now {format_eth(args['newActive'])}", **common)
    if name == "UnstakeRequested":
        return HistoryEntry(kind="unstake-requested", amount_wei=args["amount"], role=role,
                            detail=f"unbonding {format_eth(args['newUnbonding'])} until block {args['unlockBlock']}",
                            **common)
    if name == "StakeWithdrawn":
        return HistoryEntry(kind="stake-withdrawn", amount_wei=args["amount"], role=role, **common)
    if name == "SeatRegistered":
        return HistoryEntry(kind="seat-registered", amount_wei=0, role="verifier", seat=args["seatIndex"],
                            detail=f"seat {args['seatIndex']} from block {args['registeredAt']}", **common)
    if name == "SeatRetired":
        return HistoryEntry(kind="seat-retired", amount_wei=0, role="verifier", seat=args["seatIndex"],
                            detail=f"seat {args['seatIndex']} retired at block {args['retiredAt']}", **common)
    if name == "ClaimSubmitted":
        return HistoryEntry(kind="claim", amount_wei=0, role="worker", claim_id=args["claimId"], job_id=args["jobId"],
                            detail=f"round {args['round']}, {args['steps']} steps", **common)
    if name == "Approved":
        return HistoryEntry(kind="approval", amount_wei=0, role="verifier", claim_id=args["claimId"],
                            detail=f"seat {args['seatIndex']}, committee position {args['position']}", **common)
    if name == "Challenged":
        return HistoryEntry(kind="challenge", amount_wei=0, role="verifier", claim_id=args["claimId"],
                            dispute_id=args["disputeId"], detail=f"segments {list(args['segments'])}", **common)
    if name == "Credited":
        reason = CreditReason(int(args["reason"]))
        return HistoryEntry(kind=label(reason), amount_wei=args["amount"], reason=reason.name,
                            **_subject(reason, args["subjectId"]), **common)
    if name == "Slashed":
        reason = SlashReason(int(args["reason"]))
        return HistoryEntry(kind="slash", amount_wei=args["amount"], role=role, reason=reason.name,
                            detail=label(reason), **_subject(reason, args["subjectId"]), **common)
    if name == "Withdrawn":
        return HistoryEntry(kind="withdrawal", amount_wei=args["amount"], **common)
    if name == "JobCreated":
        return HistoryEntry(kind="job-created", amount_wei=args["escrow"], job_id=args["jobId"], **common)
    if name == "JobFunded":
        return HistoryEntry(kind="job-funded", amount_wei=args["amount"], job_id=args["jobId"], **common)
    if name == "EscrowWithdrawn":
        return HistoryEntry(kind="escrow-withdrawn", amount_wei=args["amount"], job_id=args["jobId"], **common)
    raise ValueError(f"no history entry for event {name}")


def address_events_v2(ledger: LedgerV2, address: str, from_block: int, to_block: int | str = "latest") -> list:
    """Decoded LedgerV2 events naming `address`, in chain order (indexed account fields filtered on the node)."""
    address = ledger.w3.to_checksum_address(address)
    found = []
    for name, field in ACCOUNT_FIELD_V2.items():
        event_type = getattr(ledger.contract.events, name)()
        filters = {field: address} if _indexed(ledger, name, field) else None
        logs = event_type.get_logs(from_block=from_block, to_block=to_block, argument_filters=filters)
        found += [log for log in logs if log["args"][field] == address]
    return sorted(found, key=lambda log: (log["blockNumber"], log["logIndex"]))


def address_history_v2(ledger: LedgerV2, address: str, from_block: int,
                       to_block: int | str = "latest") -> list[HistoryEntry]:
    """Every v2 event since `from_block` that concerns `address`, in chain order."""
    return [entry_v2(event) for event in address_events_v2(ledger, address, from_block, to_block)]
