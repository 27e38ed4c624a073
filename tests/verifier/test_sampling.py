"""verifier.sampling (v2): draws with replacement, bound to seed, claim and member, uniform, and the formula exact."""
from __future__ import annotations

from collections import Counter

import pytest
from eth_utils import keccak

from verifier.sampling import detection_probability, sample_index, sample_segments, segments_to_replay

SEED = keccak(b"seed")
A, B = "0x" + "aa" * 20, "0x" + "bb" * 20


def test_deterministic_in_range_and_address_case_free():
    s1 = sample_segments(SEED, 7, A, 400, 15)
    assert s1 == sample_segments(SEED, 7, A.upper().replace("0X", "0x"), 400, 15)
    assert s1 == sample_segments(SEED, 7, bytes.fromhex("aa" * 20), 400, 15)
    assert len(s1) == 15 and all(0 <= j < 400 for j in s1)


def test_each_draw_is_one_hash_the_contract_can_recompute():
    draws = sample_segments(SEED, 7, A, 400, 15)
    assert all(draws[i] == sample_index(SEED, 7, A, i, 400) for i in range(15))
    word = keccak(b"gradchain/sample/v2" + SEED + (7).to_bytes(32, "big") + bytes.fromhex("aa" * 20)
                  + (3).to_bytes(32, "big"))
    assert draws[3] == int.from_bytes(word, "big") % 400


def test_bound_to_seed_claim_and_member():
    base = sample_segments(SEED, 7, A, 400, 15)
    assert base != sample_segments(SEED, 7, B, 400, 15)
    assert base != sample_segments(keccak(b"other"), 7, A, 400, 15)
    assert base != sample_segments(SEED, 8, A, 400, 15)


def test_with_replacement_repeats_are_replayed_once():
    draws = sample_segments(SEED, 1, A, 2, 10)  # 10 draws from 2 segments: repeats are certain
    assert len(draws) == 10 and set(draws) == {0, 1}
    assert segments_to_replay(draws) == list(dict.fromkeys(draws))


def test_roughly_uniform():
    counts = Counter()
    for i in range(2000):
        counts.update(sample_segments(keccak(b"%d" % i), i, A, 10, 3))
    assert set(counts) == set(range(10))
    assert all(abs(c - 600) < 4 * (6000 * 0.1 * 0.9) ** 0.5 for c in counts.values()), counts


def test_bad_arguments():
    with pytest.raises(ValueError, match="seed must be 32 bytes"):
        sample_segments(b"short", 1, A, 10, 3)
    with pytest.raises(ValueError, match="claim_id"):
        sample_segments(SEED, -1, A, 10, 3)
    with pytest.raises(ValueError, match="n_segments"):
        sample_segments(SEED, 1, A, 0, 3)
    with pytest.raises(Exception):
        sample_segments(SEED, 1, "0x1234", 10, 3)


def test_detection_probability_is_the_with_replacement_formula():
    assert detection_probability(0.1, 3, 15) == pytest.approx(1 - 0.9 ** 45)
    assert detection_probability(0.1, 3, 15) > 0.99 > detection_probability(0.1, 3, 14)
    # P(detect) >= f for any D, s >= 1 (PROTOCOL.md §5).
    assert all(detection_probability(f, 1, 1) >= f - 1e-12 for f in (0.01, 0.1, 0.5, 1.0))
