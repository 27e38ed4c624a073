"""Which segments a verifier replays (PROTOCOL.md §5.2): s indices without replacement from
keccak256(seed ‖ verifierAddress). Pure and deterministic; the worker committed before the seed existed."""
from __future__ import annotations

from eth_utils import keccak, to_canonical_address

_DOMAIN = b"gradchain/sample/v1"


def _random_words(seed: bytes, verifier: bytes):
    """An endless stream of uniform 256-bit integers: keccak256(domain ‖ seed ‖ verifier ‖ uint256 counter)."""
    counter = 0
    while True:
        block = keccak(_DOMAIN + seed + verifier + counter.to_bytes(32, "big"))
        yield int.from_bytes(block, "big")
        counter += 1


def _uniform_below(words, bound: int) -> int:
    """A uniform integer in [0, bound), by rejection sampling (no modulo bias)."""
    limit = (1 << 256) - ((1 << 256) % bound)
    for word in words:
        if word < limit:
            return word % bound
    raise AssertionError("unreachable: the word stream is endless")


def sample_segments(seed: bytes, verifier_address: str | bytes, n_segments: int, s: int) -> list[int]:
    """The s distinct segment indices (in draw order) that `verifier_address` must replay for `seed`.

    A partial Fisher-Yates shuffle of range(n_segments) driven by keccak256; if s >= n_segments, every segment.
    `seed` is the 32-byte blockhash(submitBlock + SEED_DELAY); the address is 20 bytes or a 0x-hex string.
    """
    assert len(seed) == 32, f"seed must be 32 bytes, got {len(seed)}"
    assert n_segments > 0 and s > 0, f"need n_segments > 0 and s > 0, got {n_segments}, {s}"
    verifier = to_canonical_address(verifier_address)
    words = _random_words(seed, verifier)
    pool = list(range(n_segments))
    take = min(s, n_segments)
    for i in range(take):
        j = i + _uniform_below(words, n_segments - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:take]


def detection_probability(f: float, verifiers: int, s: int) -> float:
    """P(detect) = 1 − (1 − f)^(m·s): at least one of m verifiers drawing s segments each hits a faked one
    (PROTOCOL.md §5; the with-replacement bound, slightly pessimistic for draws without replacement)."""
    return 1.0 - (1.0 - f) ** (verifiers * s)
