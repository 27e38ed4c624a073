"""The on-chain claim as the verifier sees it (the fields of `ClaimSubmitted`, PROTOCOL.md §4)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """One claim; any object with these attributes will do for `verify_claim`."""

    claim_id: int
    worker: str  # 0x address of the submitting worker: the data assignment uses it, never the transcript's
    round: int
    base: bytes  # 32-byte checkpoint id the worker started from (== head at submission)
    result: bytes  # 32-byte checkpoint id of end_{S-1}
    transcript_root: bytes  # 32 bytes
    steps: int  # H claimed
    # 32 bytes, keccak256(chainId ‖ ledger ‖ jobId) of the job the claim was submitted to: from the chain,
    # never from the transcript. Replay assigns batches with it, so work done for another job fails.
    job_key: bytes
