"""Gas actually paid on chain per accepted claim of a LedgerV2 job, from the transactions' receipts.

`gas_per_accepted_claim(ledger, from_block, job_id)` scans every block from `from_block` to the head, takes each
transaction sent to the ledger, decodes its function from the calldata and adds its receipt's gasUsed (the
21,000 base and calldata included, reverted transactions too: their gas was spent) to that function's total.

The settlement path of a claim is submitClaim + its approvals (approve, approveBySig, approveBatch) + its
finalization (finalizeClaim, finalizeClaims) + the round's heads (proposeHead, finalizeHead). Only the job's
share of those counts toward the job's figure: a batch that also carries another job's claims is split by
its number of entries per job. Stakes, job creation and funding, withdrawals and disputes are reported apart.
The number of accepted claims is the job's ClaimFinalized events with status Accepted in the scanned blocks.

Only transactions whose `to` is the ledger are seen: a call made to the ledger by another contract is not.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from hexbytes import HexBytes

from .views import ClaimStatus, LedgerV2

APPROVALS = ("approve", "approveBySig", "approveBatch")
FINALIZATIONS = ("finalizeClaim", "finalizeClaims")
HEADS = ("proposeHead", "finalizeHead")
SETTLEMENT = ("submitClaim", *APPROVALS, *FINALIZATIONS, *HEADS)
GROUPS = {
    "settlement": SETTLEMENT,
    "disputes": ("challenge", "challengeHead", "commitVerdict", "revealVerdict", "resolveDispute"),
    "stakes": ("stake", "requestUnstake", "withdrawStake"),
    "jobs": ("createJob", "fund", "withdrawEscrow"),
    "withdrawals": ("withdraw",),
}
UNKNOWN = "unknown"  # calldata that matches no function of the ABI (a plain transfer, a wrong selector)


def group_of(function: str) -> str:
    for group, functions in GROUPS.items():
        if function in functions:
            return group
    return "other"


class _JobOf:
    """Which job a settlement call's entries belong to, read once per claim or proposal from the ledger."""

    def __init__(self, ledger: LedgerV2):
        self.ledger = ledger
        self._claims: dict[int, int] = {}
        self._proposals: dict[int, int] = {}

    def claim(self, claim_id: int) -> int:
        if claim_id not in self._claims:
            self._claims[claim_id] = self.ledger.claim(claim_id).job_id
        return self._claims[claim_id]

    def proposal(self, proposal_id: int) -> int:
        if proposal_id not in self._proposals:
            self._proposals[proposal_id] = self.ledger.proposal(proposal_id).job_id
        return self._proposals[proposal_id]

    def entries(self, function: str, args: dict[str, Any]) -> list[int]:
        """One job id per entry of the call (a batch has many); [] when the call names no job."""
        if function in ("submitClaim", "proposeHead"):
            return [args["jobId"]]
        if function in ("approve", "approveBySig", "finalizeClaim"):
            return [self.claim(args["claimId"])]
        if function in ("approveBatch", "finalizeClaims"):
            return [self.claim(c) for c in args["claimIds"]]
        if function == "finalizeHead":
            return [self.proposal(args["proposalId"])]
        return []


def _decode(ledger: LedgerV2, data: bytes) -> tuple[str, dict[str, Any]]:
    try:
        fn, args = ledger.contract.decode_function_input(HexBytes(data))
    except ValueError:  # no function with this selector, or arguments that do not decode
        return UNKNOWN, {}
    return fn.fn_name, dict(args)


def gas_per_accepted_claim(ledger: LedgerV2, from_block: int, job_id: int, to_block: int | None = None) -> dict:
    """Per-function gas totals of every ledger transaction in [from_block, to_block] (default: the head), and
    the job's settlement gas per accepted claim. Returns:

    functions: {name: {"txs", "reverted", "gas_used"}} over all ledger transactions;
    groups: {"settlement" | "disputes" | "stakes" | "jobs" | "withdrawals" | "other": gas_used};
    job_settlement: {name: gas_used}, the job's share of each settlement function;
    settlement_gas: their sum; accepted_claims; gas_per_accepted_claim (None with no accepted claim).
    """
    w3 = ledger.w3
    head = w3.eth.block_number
    last = head if to_block is None else to_block
    if from_block < 0 or from_block > last:
        raise ValueError(f"from_block {from_block} is not in [0, {last}] (to_block {to_block}, head {head})")
    if last > head:
        raise ValueError(f"to_block {to_block} is past the chain's head {head}")
    target = ledger.address.lower()
    jobs = _JobOf(ledger)
    functions: dict[str, dict[str, int]] = defaultdict(lambda: {"txs": 0, "reverted": 0, "gas_used": 0})
    groups: dict[str, int] = {g: 0 for g in (*GROUPS, "other")}
    job_settlement: dict[str, int] = {f: 0 for f in SETTLEMENT}
    for number in range(from_block, last + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if tx["to"] is None or tx["to"].lower() != target:
                continue
            receipt = w3.eth.get_transaction_receipt(tx["hash"])
            gas = receipt["gasUsed"]
            name, args = _decode(ledger, tx["input"])
            row = functions[name]
            row["txs"] += 1
            row["gas_used"] += gas
            row["reverted"] += receipt["status"] != 1
            groups[group_of(name)] += gas
            if name in job_settlement:
                entries = jobs.entries(name, args)
                mine = sum(1 for j in entries if j == job_id)
                if mine:
                    # Integer split: a batch wholly of this job counts in full.
                    job_settlement[name] += gas * mine // len(entries)
    accepted = sum(1 for e in ledger.events(from_block, last, names=["ClaimFinalized"])
                   if e["args"]["jobId"] == job_id and e["args"]["status"] == ClaimStatus.ACCEPTED)
    settlement = sum(job_settlement.values())
    return {
        "job_id": job_id,
        "from_block": from_block,
        "to_block": last,
        "functions": dict(functions),
        "groups": groups,
        "job_settlement": job_settlement,
        "settlement_gas": settlement,
        "accepted_claims": accepted,
        "gas_per_accepted_claim": settlement / accepted if accepted else None,
    }
