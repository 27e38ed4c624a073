"""Which segments a committee member replays (PROTOCOL.md v2 §4.2). Pure and deterministic.

    j_i = keccak256(abi.encodePacked("gradchain/sample/v2", bytes32 seed, uint256 claimId, address member,
                                     uint256 i)) mod S,   i = 0 .. s-1

With replacement, so that (a) P(detect) = 1 − (1 − f)^(D·s) holds exactly for D members, and (b) the contract
can check "segment j is in member v's sample" with one hash given the draw index i (a challenge names it).
The modulo bias is below S / 2**256. The seed is blockhash(submitBlock + SEED_DELAY): the worker committed
before it existed. `contracts/test/vectors/sampling_v2.json` pins these values for the contract's tests.
"""
from __future__ import annotations

from eth_utils import keccak, to_canonical_address

SAMPLE_DOMAIN = b"gradchain/sample/v2"


def sample_index(seed: bytes, claim_id: int, member: str | bytes, i: int, n_segments: int) -> int:
    """The i-th draw of `member`'s sample of claim `claim_id`: a segment index in [0, n_segments)."""
    word = keccak(SAMPLE_DOMAIN + seed + claim_id.to_bytes(32, "big") + to_canonical_address(member)
                  + i.to_bytes(32, "big"))
    return int.from_bytes(word, "big") % n_segments


def sample_segments(seed: bytes, claim_id: int, member: str | bytes, n_segments: int, s: int) -> list[int]:
    """The s draws (with replacement, in draw order) that `member` must replay for claim `claim_id`."""
    if not isinstance(seed, (bytes, bytearray)) or len(seed) != 32:
        raise ValueError(f"seed must be 32 bytes, got {seed!r}"[:120])
    if not isinstance(claim_id, int) or not 0 <= claim_id < 2**256:
        raise ValueError(f"claim_id must be a uint256, got {claim_id!r}")
    if n_segments < 1 or s < 1:
        raise ValueError(f"need n_segments >= 1 and s >= 1, got {n_segments}, {s}")
    return [sample_index(bytes(seed), claim_id, member, i, n_segments) for i in range(s)]


EXTRA_DRAWS_MAX = 64  # how far a sample may continue its stream to reach distinct segments


def with_distinct_segments(seed: bytes, claim_id: int, member: str | bytes, n_segments: int, draws: list[int],
                           distinct: int) -> list[int]:
    """`draws`, continued along the same stream (i = s, s+1, ...) until they hold `distinct` different segments.

    Tolerance mode's residual-direction rule needs two replayed segments; with replacement, s = 2 draws hit the
    same one with probability 1/S, which a drifting worker would otherwise get for free.
    """
    draws = list(draws)
    want = min(distinct, n_segments)
    i = len(draws)
    while len(set(draws)) < want and i < len(draws) + EXTRA_DRAWS_MAX:
        draws.append(sample_index(bytes(seed), claim_id, member, i, n_segments))
        i += 1
    return draws


def segments_to_replay(draws: list[int]) -> list[int]:
    """The distinct segments of a sample, in first-draw order: a segment drawn twice is replayed once."""
    return list(dict.fromkeys(draws))


def detection_probability(f: float, members: int, s: int) -> float:
    """P(detect) = 1 − (1 − f)^(D·s): some draw of some of D members hits a faked fraction f of segments
    (exact for draws with replacement, §5)."""
    return 1.0 - (1.0 - f) ** (members * s)
