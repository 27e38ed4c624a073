"""Measured P(fraud accepted) against the formula (1 − f)^(D·s), on the pure protocol core (PROTOCOL.md v2 §4.2, §5).

Each claim fakes a fraction f = 5% of its S segments (one of 20, two of 40), chosen per claim; seeds and claim ids
vary per claim. The committee is drawn with verifier/committee.py from a seat registry that holds the worker's own
seat (skipped, as the contract does); each member's sample comes from verifier/sampling.py. Members are honest: a
replay of a faked segment fails, so a member whose sample holds one challenges naming it, and the others approve.
A detected claim goes the whole dispute path (jury drawn, honest verdicts, rules.dispute_outcome,
rules.claim_verdict_split) and must end Rejected with the worker's bond in the pot; an undetected one settles with
rules.finalize_settlement and is Accepted, which is a fraud accepted. Everything is seeded: the test is
deterministic, and the 99.9% interval is only the yardstick, not a source of flakiness.
"""
from __future__ import annotations

import math
import random

import pytest
from eth_utils import keccak, to_canonical_address

from node.chain.devaccounts import dev_account
from node.chain.v2 import rules
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import ClaimStatus
from verifier import committee as draws
from verifier.sampling import detection_probability, sample_segments

TERMS = JobTermsV2()
D, S_PER_MEMBER, J = TERMS.committee_size, TERMS.samples_per_member, TERMS.jury_size
F = 0.05
N_CLAIMS = 2000
N_SEATS = 12
Z_999 = 3.2905267314919255  # two-sided 99.9%
REGISTERED_AT, SUBMIT_BLOCK, OPEN_BLOCK = 1, 100, 120

ACCOUNTS = [dev_account(i).address for i in range(N_SEATS)]
SEATS = [draws.Seat(i, a, REGISTERED_AT) for i, a in enumerate(ACCOUNTS)]


def wilson(k: int, n: int, z: float = Z_999) -> tuple[float, float]:
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _same(a: str, b: str) -> bool:
    return to_canonical_address(a) == to_canonical_address(b)


def run_claim(i: int, n_segments: int, n_faked: int) -> dict:
    """One faked claim through the pure core; returns what happened to it."""
    seed = keccak(b"gradchain/test/detection-rate/seed" + n_segments.to_bytes(32, "big") + i.to_bytes(32, "big"))
    claim_id = 1 + 7919 * i + n_segments
    faked = set(random.Random(int.from_bytes(seed, "big")).sample(range(n_segments), n_faked))
    worker = ACCOUNTS[i % N_SEATS]

    seat_ids = draws.committee(seed, claim_id, SEATS, N_SEATS, SUBMIT_BLOCK, D, worker)
    assert len(seat_ids) == D and len(set(seat_ids)) == D
    members = [SEATS[k].account for k in seat_ids]
    assert not any(_same(m, worker) for m in members), "the worker's own seat sits on its committee"

    samples = {m: sample_segments(seed, claim_id, m, n_segments, S_PER_MEMBER) for m in members}
    # honest replay: a faked segment fails its replay, an honest one passes
    challengers = [m for m in members if set(samples[m]) & faked]
    approvers = [m for m in members if m not in challengers]
    approved_mask = sum(1 << pos for pos, m in enumerate(members) if m in approvers)
    out = {"detected": bool(challengers), "repeats": sum(len(set(v)) < len(v) for v in samples.values())}

    if not challengers:
        st = rules.finalize_settlement(worker=worker, members=members, approved_mask=approved_mask, disputed=False,
                                       reward_per_claim=TERMS.reward_per_claim, approval_fee=TERMS.approval_fee,
                                       quorum=TERMS.quorum)
        assert rules.accepted(rules.popcount(approved_mask), TERMS.quorum)
        assert st.misses == () and st.credits[worker] == TERMS.reward_per_claim
        out["status"] = ClaimStatus(st.status)
        return out

    # the dispute's segment list: named segments in challenge order, each once (LedgerV2Disputes._nameSegments)
    dispute_segments: list[int] = []
    named_masks: dict[str, int] = {}
    for c in challengers:
        mask = 0
        for seg in samples[c]:
            if seg in faked:
                if seg not in dispute_segments:
                    dispute_segments.append(seg)
                mask |= 1 << dispute_segments.index(seg)
        named_masks[c] = mask
    n_dispute = len(dispute_segments)
    honest_verdict = sum(1 << k for k, seg in enumerate(dispute_segments) if seg in faked)

    dispute_seed = keccak(b"gradchain/test/detection-rate/jury" + seed)
    parties = frozenset([worker, *challengers, *approvers])
    jurors = [SEATS[k].account for k in draws.jury(dispute_seed, claim_id, SEATS, N_SEATS, OPEN_BLOCK, J, parties)]
    assert len(jurors) == J and not any(_same(j, p) for j in jurors for p in parties)
    revealed = {j: honest_verdict for j in jurors}  # all reveal, all honest

    outcome = rules.dispute_outcome(list(revealed.values()), n_dispute, J)
    assert outcome.quorum
    proven = {dispute_segments[k] for k in range(n_dispute) if outcome.faulty_mask >> k & 1}
    assert proven and proven <= faked

    caught = [a for a in approvers if rules.caught(seed, claim_id, a, n_segments, S_PER_MEMBER, proven)]
    # had a challenger approved without replaying, its own sample would have convicted it
    assert all(rules.caught(seed, claim_id, c, n_segments, S_PER_MEMBER, proven) for c in challengers)
    sp = rules.claim_verdict_split(outcome, worker=worker, jurors=jurors, revealed=revealed, challengers=named_masks,
                                   caught_approvers=len(caught), claim_bond=TERMS.claim_bond,
                                   juror_bond=TERMS.juror_bond, challenge_bond=TERMS.challenge_bond,
                                   approval_bond=TERMS.approval_bond)
    assert worker not in sp.winners
    assert sp.pot == TERMS.claim_bond + len(caught) * TERMS.approval_bond
    assert set(sp.winners) == set(jurors) | set(challengers)
    out["status"] = ClaimStatus.REJECTED if outcome.faulty_mask else ClaimStatus.ACCEPTED
    out["caught"] = len(caught)
    return out


@pytest.mark.parametrize("n_segments,n_faked", [(20, 1), (40, 2)])
def test_measured_fraud_acceptance_matches_formula(n_segments, n_faked):
    assert n_faked / n_segments == F
    results = [run_claim(i, n_segments, n_faked) for i in range(N_CLAIMS)]

    detected = [r for r in results if r["detected"]]
    undetected = [r for r in results if not r["detected"]]
    # every detected claim went through the dispute and ended Rejected, not merely "noticed"
    assert all(r["status"] == ClaimStatus.REJECTED for r in detected)
    assert all(r["status"] == ClaimStatus.ACCEPTED for r in undetected)
    assert sum(r["caught"] for r in detected) == 0  # honest approvers never held a faked segment

    accepted = sum(r["status"] == ClaimStatus.ACCEPTED for r in results)
    rate = accepted / N_CLAIMS
    formula = 1 - detection_probability(F, D, S_PER_MEMBER)
    assert formula == pytest.approx((1 - F) ** (D * S_PER_MEMBER))
    lo, hi = wilson(accepted, N_CLAIMS)

    # sampling is with replacement: two draws of one member coincide with probability 1/S
    repeats = sum(r["repeats"] for r in results)
    rlo, rhi = wilson(repeats, N_CLAIMS * D)

    wrong = {"(1-f)^D (s ignored)": (1 - F) ** D, "(1-f)^s (D ignored)": (1 - F) ** S_PER_MEMBER,
             "(1-f)^((D-1)s)": (1 - F) ** ((D - 1) * S_PER_MEMBER),
             "(1-f)^((D+1)s)": (1 - F) ** ((D + 1) * S_PER_MEMBER)}
    print(f"\nS={n_segments} faked={n_faked} f={F} D={D} s={S_PER_MEMBER} J={J} N={N_CLAIMS}: "
          f"accepted {accepted} (rate {rate:.4f}), rejected {len(detected)}; formula (1-f)^(D*s) = {formula:.4f}; "
          f"99.9% Wilson [{lo:.4f}, {hi:.4f}]; repeated-draw rate {repeats / (N_CLAIMS * D):.4f} "
          f"in [{rlo:.4f}, {rhi:.4f}] vs 1/S = {1 / n_segments:.4f}; "
          + "; ".join(f"{k} = {v:.4f}" for k, v in wrong.items()))

    assert lo <= formula <= hi, f"formula {formula:.4f} outside the measured interval [{lo:.4f}, {hi:.4f}]"
    for name, value in wrong.items():
        assert not lo <= value <= hi, f"the interval cannot tell the formula from {name} = {value:.4f}"
    assert rlo <= 1 / n_segments <= rhi
    assert not rlo <= 0.0 <= rhi  # without replacement there would be no repeats at all
