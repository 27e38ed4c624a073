"""Who is drawn: a claim's committee and a dispute's jury, from the seat registry (PROTOCOL.md v2 §4.2, §4.3).

    draw_i = keccak256(abi.encodePacked(domain, bytes32 seed, uint256 subjectId, uint256 i)) mod seatCount

where seatCount is the registry's length recorded with the claim (dispute) when it was submitted (opened):
seats appended later are outside the modulus, and seats appended in that same block are drawn but ineligible.

for i = 0, 1, ... up to a bounded number of draws; a drawn seat joins unless it is ineligible (registered at
or after the frozen block, or retired by it), excluded (the worker's own seats for a committee; the worker,
challengers and approvers for a jury) or already drawn. The first `size` such seats, in draw order, are the
committee. The seat population is the registry at the frozen block (the claim's submit block, the dispute's
open block), fixed before the seed exists, so nobody can steer who is drawn. The contract computes the same
(the vector file `contracts/test/vectors/sampling_v2.json` pins both sides).
"""
from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak, to_canonical_address

COMMITTEE_DOMAIN = b"gradchain/committee/v2"
JURY_DOMAIN = b"gradchain/jury/v2"
MAX_DRAWS_PER_SEAT = 4  # draws allowed per seat wanted, plus MIN_EXTRA_DRAWS: bounded gas on chain
MIN_EXTRA_DRAWS = 16


@dataclass(frozen=True)
class Seat:
    """One entry of the append-only seat registry."""

    index: int
    account: str
    registered_at: int  # block
    retired_at: int = 0  # block; 0 = still active

    def eligible_at(self, block: int) -> bool:
        """Registered before `block` and not retired by it (§4.1)."""
        return self.registered_at < block and (self.retired_at == 0 or self.retired_at > block)


def max_draws(size: int) -> int:
    return MAX_DRAWS_PER_SEAT * size + MIN_EXTRA_DRAWS


def draw_index(domain: bytes, seed: bytes, subject_id: int, i: int, seat_count: int) -> int:
    word = keccak(domain + seed + subject_id.to_bytes(32, "big") + i.to_bytes(32, "big"))
    return int.from_bytes(word, "big") % seat_count


def draw_seats(domain: bytes, seed: bytes, subject_id: int, seats: list[Seat], seat_count: int, frozen_at: int,
               size: int, excluded_accounts: frozenset[str] = frozenset()) -> list[int]:
    """Seat indices drawn, in draw order (fewer than `size` if the bounded stream runs out).

    seats: the registry, seats[i].index == i, at least `seat_count` long (later entries are ignored)."""
    if not isinstance(seed, (bytes, bytearray)) or len(seed) != 32:
        raise ValueError(f"seed must be 32 bytes, got {seed!r}"[:120])
    if len(seats) < seat_count or any(seat.index != i for i, seat in enumerate(seats[:seat_count])):
        raise ValueError(f"seats must be the registry in index order, at least {seat_count} long")
    if size < 1 or seat_count < 1:
        return []
    excluded = {to_canonical_address(a) for a in excluded_accounts}
    chosen: list[int] = []
    for i in range(max_draws(size)):
        seat = seats[draw_index(domain, bytes(seed), subject_id, i, seat_count)]
        if (seat.index not in chosen and seat.eligible_at(frozen_at)
                and to_canonical_address(seat.account) not in excluded):
            chosen.append(seat.index)
            if len(chosen) == size:
                break
    return chosen


def committee(seed: bytes, claim_id: int, seats: list[Seat], seat_count: int, submit_block: int, size: int,
              worker: str) -> list[int]:
    """A claim's committee: D distinct eligible seats, the worker's own skipped."""
    return draw_seats(COMMITTEE_DOMAIN, seed, claim_id, seats, seat_count, submit_block, size, frozenset({worker}))


def jury(dispute_seed: bytes, dispute_id: int, seats: list[Seat], seat_count: int, open_block: int, size: int,
         parties: frozenset[str]) -> list[int]:
    """A dispute's jury: J distinct eligible seats, none of them a party whose bond the verdict moves."""
    return draw_seats(JURY_DOMAIN, dispute_seed, dispute_id, seats, seat_count, open_block, size, parties)
