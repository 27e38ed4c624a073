"""The pure mirror of LedgerV2Rules.sol and of the windows of contracts/v2.md (PROTOCOL.md §4, §7).

Draws are not copied here: committees and juries come from verifier/committee.py, samples from
verifier/sampling.py. `contracts/test/vectors/rules_v2.json` pins the outcome and split rules on both sides
(tests/chain/test_rules_v2.py and contracts/test/v2/RulesVector.t.sol).
"""
from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak

from verifier import committee as draws
from verifier.sampling import sample_segments

SEED_DELAY = 2  # LedgerV2Storage._SEED_DELAY (the ledger's SEED_DELAY() view)


# -- LedgerV2Rules.sol ----------------------------------------------------------------------------------------
def reservation(reward_per_claim: int, approval_fee: int, committee_size: int) -> int:
    return reward_per_claim + approval_fee * committee_size


def eligible(registered_at: int, retired_at: int, frozen_at: int) -> bool:
    return draws.Seat(0, "0x" + "00" * 20, registered_at, retired_at).eligible_at(frozen_at)


def max_draws(size: int) -> int:
    return draws.max_draws(size)


def reveal_quorum(jury_size: int) -> int:
    return (jury_size + 1) // 2


def proven_faulty(faulty_votes: int, reveals: int) -> bool:
    return faulty_votes * 2 > reveals


def commitment(verdicts: int, salt: bytes, juror: str) -> bytes:
    return keccak(encode(["uint256", "bytes32", "address"], [verdicts, salt, juror]))


def accepted(approvals: int, quorum: int) -> bool:
    return approvals >= quorum


def split(pot: int, winners: int) -> tuple[int, int]:
    """(share, dust): equal shares; the remainder (everything with no winner) is dust, to escrow."""
    if winners == 0:
        return 0, pot
    share = pot // winners
    return share, pot - share * winners


def popcount(x: int) -> int:
    return bin(x).count("1")


def accumulate(acc: bytes, claim_id: int, result: bytes) -> bytes:
    return keccak(encode(["bytes32", "uint256", "bytes32"], [acc, claim_id, result]))


# -- windows (contracts/v2.md) --------------------------------------------------------------------------------
def seed_block(submit_block: int) -> int:
    return submit_block + SEED_DELAY


def submissions_closed(block: int, round_start: int, submit_window: int, round_claims: int,
                       max_claims_per_round: int) -> bool:
    """A round takes no more claims once its window passed or it is full; then its head may be proposed (as soon
    as its claims are final: proposeHead)."""
    return block >= round_start + submit_window or round_claims >= max_claims_per_round


def vote_open(block: int, seed_blk: int, verify_window: int) -> bool:
    """approve / approveBySig / approveBatch in (seedBlock, seedBlock + verifyWindow]."""
    return seed_blk < block <= seed_blk + verify_window


def challenge_open(block: int, seed_blk: int, verify_window: int, challenge_window: int) -> bool:
    return seed_blk < block <= seed_blk + verify_window + challenge_window


def finalize_allowed(block: int, seed_blk: int, verify_window: int, challenge_window: int,
                     dispute_open: bool = False) -> bool:
    """finalizeClaim after the challenge window and once any dispute is no longer Open."""
    return block > seed_blk + verify_window + challenge_window and not dispute_open


def seal_block(open_block: int) -> int:
    """Approvals and challenges of a disputed claim stop after the dispute's first jury seed block."""
    return open_block + SEED_DELAY


def jury_seed_block(attempt_start: int) -> int:
    return attempt_start + SEED_DELAY


def commit_open(block: int, jury_seed_blk: int, commit_window: int) -> bool:
    return jury_seed_blk < block <= jury_seed_blk + commit_window


def reveal_open(block: int, jury_seed_blk: int, commit_window: int, reveal_window: int) -> bool:
    opens = jury_seed_blk + commit_window
    return opens < block <= opens + reveal_window


def resolve_allowed(block: int, jury_seed_blk: int, commit_window: int, reveal_window: int) -> bool:
    return block > jury_seed_blk + commit_window + reveal_window


# -- outcomes -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """A dispute attempt's result: `quorum` False means redraw (or NoVerdict once redraws are spent)."""

    quorum: bool
    faulty_mask: int
    majority: tuple[int, ...]  # indices (into the reveals) of jurors whose verdicts equal the outcome


def dispute_outcome(revealed: list[int], n_segments: int, jury_size: int) -> Outcome:
    """From the revealed verdict masks: segment i proven faulty iff faultyVotes_i * 2 > reveals."""
    if len(revealed) < reveal_quorum(jury_size):
        return Outcome(False, 0, ())
    mask = 0
    for i in range(n_segments):
        if proven_faulty(sum(1 for v in revealed if v >> i & 1), len(revealed)):
            mask |= 1 << i
    return Outcome(True, mask, tuple(k for k, v in enumerate(revealed) if v == mask))


@dataclass(frozen=True)
class Split:
    pot: int
    winners: tuple[str, ...]
    share: int
    dust: int


def _jurors_and_challengers(faulty: int, jurors: list[str], revealed: dict[str, int], juror_bond: int,
                            challenger_right: dict[str, bool], challenge_bond: int) -> tuple[list[str], int]:
    """(winners so far, pot so far): majority jurors win, the others' bonds go to the pot; so do wrong
    challengers'. The order is the contract's: jurors in commit order, then challengers in challenge order."""
    winners: list[str] = []
    pot = 0
    for j in jurors:
        if revealed.get(j) == faulty:
            winners.append(j)
        else:
            pot += juror_bond
    for c, right in challenger_right.items():
        if right:
            winners.append(c)
        else:
            pot += challenge_bond
    return winners, pot


def claim_verdict_split(outcome: Outcome, *, worker: str, jurors: list[str], revealed: dict[str, int],
                        challengers: dict[str, int], caught_approvers: int, claim_bond: int, juror_bond: int,
                        challenge_bond: int, approval_bond: int) -> Split:
    """Who shares a resolved claim dispute's pot, as LedgerV2Disputes.resolveDispute does.

    jurors: committed jurors in commit order; revealed: juror -> verdicts of those that revealed; challengers:
    account -> mask of the dispute segments it named (in challenge order); caught_approvers: approvers whose own
    sample holds a proven-faulty segment (see `caught`)."""
    faulty = outcome.faulty_mask
    winners, pot = _jurors_and_challengers(faulty, jurors, revealed, juror_bond,
                                           {c: bool(named & faulty) for c, named in challengers.items()},
                                           challenge_bond)
    if faulty == 0:
        winners.append(worker)
    else:
        pot += claim_bond + caught_approvers * approval_bond
    share, dust = split(pot, len(winners))
    return Split(pot, tuple(winners), share, dust)


def head_verdict_split(outcome: Outcome, *, proposer: str, jurors: list[str], revealed: dict[str, int],
                       challengers: list[str], juror_bond: int, challenge_bond: int, head_bond: int) -> Split:
    """Head wrong (bit 0 proven): the proposer loses headBond, the challenger and the majority share. Head right:
    the challenger loses challengeBond to the proposer and the majority. Minority and silent jurors lose theirs."""
    faulty = outcome.faulty_mask
    winners, pot = _jurors_and_challengers(faulty, jurors, revealed, juror_bond,
                                           {c: bool(faulty & 1) for c in challengers}, challenge_bond)
    if faulty & 1:
        pot += head_bond
    else:
        winners.append(proposer)
    share, dust = split(pot, len(winners))
    return Split(pot, tuple(winners), share, dust)


def caught(seed: bytes, claim_id: int, approver: str, n_segments: int, samples_per_member: int,
           faulty_segments: set[int]) -> bool:
    """An approver is slashed iff its own sample (draws 0..s-1) holds a proven-faulty segment."""
    return bool(set(sample_segments(seed, claim_id, approver, n_segments, samples_per_member)) & faulty_segments)


@dataclass(frozen=True)
class Settlement:
    status: int  # ClaimStatus value: 2 Accepted, 4 Expired
    credits: dict[str, int]  # account -> wei credited
    misses: tuple[str, ...]  # members charged missPenalty
    paid: int


def finalize_settlement(*, worker: str, members: list[str], approved_mask: int, disputed: bool,
                        reward_per_claim: int, approval_fee: int, quorum: int) -> Settlement:
    """finalizeClaim of a claim with no proven fault: Accepted iff approvals >= quorum; reward and fees credited."""
    ok = accepted(popcount(approved_mask), quorum)
    credits: dict[str, int] = {}
    misses = []
    paid = 0
    if ok:
        credits[worker] = reward_per_claim
        paid += reward_per_claim
    for pos, m in enumerate(members):
        if approved_mask >> pos & 1:
            if ok:
                credits[m] = credits.get(m, 0) + approval_fee
                paid += approval_fee
        elif not disputed:
            misses.append(m)
    return Settlement(2 if ok else 4, credits, tuple(misses), paid)


# -- committee from chain data --------------------------------------------------------------------------------
def registry(ledger, block: int | str = "latest") -> list[draws.Seat]:
    """The seat registry as verifier/committee.py takes it."""
    return [draws.Seat(i, s.account, s.registered_at, s.retired_at) for i, s in enumerate(ledger.seats(block))]


def claim_seed(ledger, claim) -> bytes:
    """blockhash(seedBlock), what the ledger records at the first approval."""
    return bytes(ledger.w3.eth.get_block(claim.seed_block)["hash"])


def committee_from_chain(ledger, claim_id: int) -> list[int]:
    """A claim's committee recomputed in Python (verifier/committee.py) from the seat registry, the claim's
    recorded seat count and submit block, and its seed; must equal the contract's committeeOf."""
    c = ledger.claim(claim_id)
    size = ledger.job_params(c.job_id).committee_size
    return draws.committee(claim_seed(ledger, c), claim_id, registry(ledger), c.seat_count, c.submit_block, size,
                           c.worker)
