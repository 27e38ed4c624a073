"""The job key (PROTOCOL.md §3): what binds training to one job on one ledger on one chain.

    jobKey = keccak256(abi.encodePacked(uint256 chainId, address ledger, uint256 jobId))

Two jobs with the same spec have different keys. The key enters every batch assignment and the transcript
header, so a transcript trained for job A replays on other batches in job B and is rejected there: the same
training cannot be paid twice. `contracts/test/vectors/job_key.json` pins the encoding for the contract.
"""
from __future__ import annotations

from eth_utils import keccak, to_canonical_address


def job_key(chain_id: int, ledger: str | bytes, job_id: int) -> bytes:
    """The 32-byte job key of job `job_id` on the ledger at `ledger` on chain `chain_id`."""
    for name, value in (("chain_id", chain_id), ("job_id", job_id)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**256:
            raise ValueError(f"{name} must be a uint256, got {value!r}")
    return keccak(chain_id.to_bytes(32, "big") + to_canonical_address(ledger) + job_id.to_bytes(32, "big"))


def check_job_key(value: object, where: str = "job_key") -> bytes:
    """`value` as 32 bytes, or ValueError naming `where`."""
    if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
        raise ValueError(f"{where} must be 32 bytes, got {value!r}"[:200])
    return bytes(value)
