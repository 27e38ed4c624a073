"""What a job's terms may be, checked before `createJob` is sent: a refusal names the option, the value and the
allowed range, and nothing reaches the chain.

Integer widths come from the compiled ABI (createJob's JobParams, submitClaim's steps), so they are never
retyped here. The contract's own rules, which the ABI cannot express, are mirrored with the Solidity line they
come from; the two limits it publishes as constants (MAX_VOTES_PER_CLAIM, MAX_VERIFY_WINDOW) are read from the
deployed ledger.
"""
from __future__ import annotations

import re

from .chain.client import Ledger
from .wallet.amounts import format_eth

# JobTerms field -> the `job create` option that sets it (fields without an option are named as they are).
OPTIONS = {"reward_per_claim": "--reward", "verifier_fee": "--fee", "quorum": "--quorum",
           "max_votes": "--max-votes", "submit_window": "--submit-window", "verify_window": "--verify-window"}
AMOUNTS = ("reward_per_claim", "verifier_fee", "min_worker_stake", "min_verifier_stake", "worker_slash",
           "verifier_slash")
# LedgerRounds.sol:30 (escrow, `msg.value.toUint96()`), :175 (the reservation reward + fee * maxVotes) and
# :176 (the minimum stakes) store amounts as uint96, although JobParams declares them uint256.
STORED_AMOUNT_MAX = 2**96 - 1


def _option(field: str) -> str:
    return OPTIONS.get(field, field)


def _show(field: str, value: int) -> str:
    return format_eth(value) if field in AMOUNTS else str(value)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _uint_max(abi_type: str) -> int | None:
    match = re.fullmatch(r"uint(\d*)", abi_type)
    return 2 ** int(match.group(1) or 256) - 1 if match else None


def abi_bounds(ledger: Ledger) -> tuple[dict[str, int], int]:
    """(max of each integer JobParams field by JobTerms name, max of submitClaim's steps), from the ABI."""
    functions = {e["name"]: e for e in ledger.artifact.abi if e.get("type") == "function"}
    (params,) = functions["createJob"]["inputs"]
    fields = {_snake(c["name"]): _uint_max(c["type"]) for c in params["components"]}
    steps = next(i for i in functions["submitClaim"]["inputs"] if i["name"] == "steps")
    return {k: v for k, v in fields.items() if v is not None}, _uint_max(steps["type"])


def _in_range(field: str, value: int, low: int, high: int, why: str = "") -> None:
    if not low <= value <= high:
        raise ValueError(f"{_option(field)} {_show(field, value)} is out of range: allowed {_show(field, low)} "
                         f"to {_show(field, high)}{why}")


def check_job_terms(ledger: Ledger, terms, steps_per_claim: int, escrow_wei: int) -> None:
    """Raise ValueError for any term the contract cannot hold or would refuse (one line, nothing sent)."""
    widths, steps_max = abi_bounds(ledger)
    if not 1 <= steps_per_claim <= steps_max:
        raise ValueError(f"steps_per_claim {steps_per_claim} (the job spec's) is out of range: allowed 1 to "
                         f"{steps_max} (submitClaim's steps is a uint{steps_max.bit_length()})")
    for field, high in widths.items():
        _in_range(field, getattr(terms, field), 0, high, f" (JobParams.{field} is a uint{high.bit_length()})")
    max_votes_limit = ledger.call("MAX_VOTES_PER_CLAIM")
    _in_range("max_votes", terms.max_votes, 1, max_votes_limit, " (the ledger's MAX_VOTES_PER_CLAIM)")
    # LedgerRounds.sol:166: quorum >= 1 and quorum <= maxVotes.
    _in_range("quorum", terms.quorum, 1, terms.max_votes, f" (at most {_option('max_votes')})")
    # LedgerRounds.sol:168-169: both windows positive, the verify window at most MAX_VERIFY_WINDOW.
    _in_range("submit_window", terms.submit_window, 1, widths["submit_window"])
    _in_range("verify_window", terms.verify_window, 1, ledger.call("MAX_VERIFY_WINDOW"),
              " (the ledger's MAX_VERIFY_WINDOW: a claim's seed block must stay within 256 blocks)")
    # LedgerRounds.sol:170-171: a slash may not exceed the stake it is taken from.
    _in_range("worker_slash", terms.worker_slash, 0, terms.min_worker_stake, " (at most min_worker_stake)")
    _in_range("verifier_slash", terms.verifier_slash, 0, terms.min_verifier_stake,
              " (at most min_verifier_stake)")
    for field in ("min_worker_stake", "min_verifier_stake"):  # LedgerRounds.sol:176
        _in_range(field, getattr(terms, field), 0, STORED_AMOUNT_MAX, " (the ledger stores stakes as uint96)")
    reservation = terms.reward_per_claim + terms.verifier_fee * terms.max_votes  # LedgerRules.reservation
    if reservation > STORED_AMOUNT_MAX:  # LedgerRounds.sol:175
        raise ValueError(f"--reward {format_eth(terms.reward_per_claim)} plus --fee {format_eth(terms.verifier_fee)}"
                         f" x --max-votes {terms.max_votes} is {format_eth(reservation)}: allowed at most "
                         f"{format_eth(STORED_AMOUNT_MAX)} (the ledger reserves it per claim as a uint96)")
    if not 0 <= escrow_wei <= STORED_AMOUNT_MAX:  # LedgerRounds.sol:30
        raise ValueError(f"--escrow {format_eth(escrow_wei)} is out of range: allowed 0 ETH to "
                         f"{format_eth(STORED_AMOUNT_MAX)} (the ledger stores escrow as a uint96)")
