"""verifier.sampling: deterministic, distinct, in range, bound to seed and verifier, roughly uniform."""
from __future__ import annotations

from collections import Counter

import pytest
from eth_utils import keccak

from verifier.sampling import detection_probability, sample_segments

SEED = keccak(b"seed")
A, B = "0x" + "aa" * 20, "0x" + "bb" * 20


def test_deterministic_distinct_in_range():
    s1 = sample_segments(SEED, A, 400, 15)
    assert s1 == sample_segments(SEED, A.upper().replace("0X", "0x"), 400, 15) == sample_segments(SEED, bytes.fromhex("aa" * 20), 400, 15)
    assert len(set(s1)) == 15 and all(0 <= j < 400 for j in s1)


def test_bound_to_seed_and_verifier():
    assert sample_segments(SEED, A, 400, 15) != sample_segments(SEED, B, 400, 15)
    assert sample_segments(SEED, A, 400, 15) != sample_segments(keccak(b"other"), A, 400, 15)


def test_s_at_least_S_takes_everything():
    assert sorted(sample_segments(SEED, A, 4, 4)) == [0, 1, 2, 3]
    assert sorted(sample_segments(SEED, A, 3, 10)) == [0, 1, 2]


def test_roughly_uniform():
    counts = Counter()
    for i in range(2000):
        counts.update(sample_segments(keccak(b"%d" % i), A, 10, 3))
    assert set(counts) == set(range(10))
    assert all(abs(c - 600) < 4 * 600 ** 0.5 * 1.2 for c in counts.values()), counts  # 6000 draws / 10


def test_bad_arguments():
    with pytest.raises(AssertionError):
        sample_segments(b"short", A, 10, 3)
    with pytest.raises(Exception):
        sample_segments(SEED, "0x1234", 10, 3)


def test_detection_probability_defaults():
    assert detection_probability(0.1, 3, 15) > 0.99
    assert detection_probability(0.1, 3, 14) < 0.99
