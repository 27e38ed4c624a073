"""Before the demo reports: every claim submitted to its job is finalized, by the nodes or, once a claim's
voting is over and no node did it, by the demo itself (anyone may call finalizeClaim). A claim left Pending
would keep its worker's stake locked and its reward reserved, and the report would count it nowhere.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount

from .chain.client import Ledger
from .chain.enums import ClaimStatus
from .chain.errors import ContractRevert


@dataclass
class Finalization:
    submitted: int = 0  # ClaimSubmitted events of the job
    by_us: int = 0  # finalizeClaim calls this helper made
    pending: list[int] = field(default_factory=list)  # claim ids still not finalized when it gave up

    @property
    def done(self) -> bool:
        return not self.pending

    def text(self) -> str:
        if self.done:
            return f"all {self.submitted} claims finalized ({self.by_us} by the demo)"
        return (f"{len(self.pending)} of {self.submitted} claims not finalized "
                f"(claim ids {', '.join(map(str, self.pending))})")


def _unfinalized(ledger: Ledger, from_block: int, job_id: int) -> tuple[list[int], int]:
    events = ledger.events(from_block, names=["ClaimSubmitted", "ClaimFinalized"])
    submitted = [e["args"]["claimId"] for e in events
                 if e["event"] == "ClaimSubmitted" and e["args"]["jobId"] == job_id]
    finalized = {e["args"]["claimId"] for e in events
                 if e["event"] == "ClaimFinalized" and e["args"]["jobId"] == job_id}
    return [c for c in submitted if c not in finalized], len(submitted)


def finalize_all(ledger: Ledger, account: LocalAccount, from_block: int, job_id: int, timeout_s: float,
                 poll_s: float = 0.5) -> Finalization:
    """Wait until every ClaimSubmitted of `job_id` has a ClaimFinalized, finalizing due claims ourselves."""
    max_votes = ledger.call("getJob", job_id)[1][5]
    result = Finalization()
    deadline = time.monotonic() + timeout_s
    while True:
        pending, result.submitted = _unfinalized(ledger, from_block, job_id)
        result.pending = pending
        if not pending or time.monotonic() > deadline:
            return result
        block = ledger.w3.eth.block_number
        for claim_id in pending:
            view = ledger.call("getClaim", claim_id)
            status, voting_ends, votes = view[9], view[8], view[10] + view[11]
            # The contract's rule (GradchainLedger.finalizeClaim): after the deadline, or once every vote is in.
            if status == ClaimStatus.PENDING and (block > voting_ends or votes >= max_votes):
                try:
                    ledger.send(account, "finalizeClaim", claim_id)
                    result.by_us += 1
                except ContractRevert:
                    # A node finalized it first: refused as ClaimNotPending, or mined after the node's in the
                    # same block (RevertedInBlock). Either way the next look at the chain says whether it is done.
                    if ledger.call("getClaim", claim_id)[9] == ClaimStatus.PENDING:
                        raise
        time.sleep(poll_s)


def finalize_all_v2(ledger, account: LocalAccount, from_block: int, job_id: int, timeout_s: float,
                    poll_s: float = 0.5) -> Finalization:
    """finalize_all on LedgerV2: due claims are finalized, and disputes past their reveal window resolved, by us
    when no node did it (anyone may call both)."""
    from .chain.v2 import rules
    from .chain.v2.views import ClaimStatus as V2Status, DisputeStatus

    params = ledger.job_params(job_id)
    result = Finalization()
    deadline = time.monotonic() + timeout_s
    while True:
        pending, result.submitted = _unfinalized(ledger, from_block, job_id)
        result.pending = pending
        if not pending or time.monotonic() > deadline:
            return result
        block = ledger.w3.eth.block_number
        for claim_id in pending:
            c = ledger.claim(claim_id)
            if c.status != V2Status.PENDING:
                continue
            dispute = ledger.dispute(c.dispute_id) if c.dispute_id else None
            if dispute is not None and dispute.status == DisputeStatus.OPEN:
                if rules.resolve_allowed(block, dispute.jury_seed_block, params.commit_window, params.reveal_window):
                    _send_unless_raced(ledger, account, "resolveDispute", c.dispute_id,
                                       done=lambda: ledger.dispute(c.dispute_id).status != DisputeStatus.OPEN)
                continue
            if rules.finalize_allowed(block, c.seed_block, params.verify_window, params.challenge_window):
                if _send_unless_raced(ledger, account, "finalizeClaim", claim_id,
                                      done=lambda: ledger.claim(claim_id).status != V2Status.PENDING):
                    result.by_us += 1
        time.sleep(poll_s)


def _send_unless_raced(ledger, account: LocalAccount, function: str, subject: int, done) -> bool:
    """Send; a revert because a node did it first (in this block or before) is not an error."""
    try:
        ledger.send(account, function, subject)
        return True
    except ContractRevert:
        if not done():
            raise
        return False
