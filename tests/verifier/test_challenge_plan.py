"""A member's challenge plan (verifier/challenge.py): real training and replay, artifacts from memory. Every
held-against entry is checked with sampling.sample_index, the function the contract's NotInSample check runs."""
from __future__ import annotations

import pytest
from eth_utils import keccak

from prover.checkpoint import checkpoint_id
from verifier.challenge import NO_APPROVER, own_draws, plan_challenge
from verifier.sampling import sample_index
from verifier_helpers import EXACT, address, genesis, package, trajectory
from test_jury import FAKED, WORKER, faking_segment, in_memory

SEED = keccak(b"blockhash(submitBlock + 2)")
S, s = EXACT.segments_per_claim, EXACT.samples_per_verifier


def drawing(segment: int, wanted: bool, n: int = 1, kind: int = 0xB) -> list[str]:
    """n addresses whose sample (draws 0..s-1, claim 1) does (or does not) hold `segment`; sampling is pure."""
    out = [a for a in (address(i, kind) for i in range(200))
           if (segment in own_draws(EXACT, SEED, 1, a, S, s)) == wanted]
    return out[:n]


@pytest.fixture(scope="module")
def head():
    return genesis(EXACT)


@pytest.fixture(scope="module")
def faked(head):
    return package(EXACT, 0, WORKER, *trajectory(EXACT, head, 0, WORKER, faking_segment(FAKED)))


def plan(pkg, head, member, approvers, fetch=None, **kw):
    return plan_challenge(EXACT, pkg.claim, checkpoint_id(head), SEED, member, fetch or in_memory(pkg.artifacts),
                          approvers, s, S, **kw)


def assert_contract_accepts(p, claim_id=1):
    """What the contract checks of each entry: 1..16 entries, segments < S, held entries in the approver's sample."""
    assert 1 <= len(p.segments) == len(p.approvers) == len(p.draw_indices) == len(p.reasons) <= 16
    assert len(set(p.segments)) <= 16
    for seg, a, i in zip(p.segments, p.approvers, p.draw_indices):
        assert 0 <= seg < S
        if a != NO_APPROVER:
            assert i < s and sample_index(SEED, claim_id, a, i, S) == seg


def test_honest_claim_gives_no_plan(head):
    pkg = package(EXACT, 0, WORKER, *trajectory(EXACT, head, 0, WORKER))
    member = drawing(0, True)[0]
    assert plan(pkg, head, member, drawing(1, True, 3, kind=0xC)) is None


def test_member_that_did_not_draw_the_fault_does_not_challenge(faked, head):
    assert plan(faked, head, drawing(FAKED, False)[0], drawing(FAKED, True, 2, kind=0xC)) is None


def test_plan_holds_the_fault_against_exactly_the_approvers_that_drew_it(faked, head):
    member = drawing(FAKED, True)[0]
    guilty, innocent = drawing(FAKED, True, 2, kind=0xC), drawing(FAKED, False, 2, kind=0xC)
    p = plan(faked, head, member, [innocent[0], guilty[0], innocent[1], guilty[1]])
    assert_contract_accepts(p)
    assert set(p.segments) == {FAKED} and set(p.approvers) == set(guilty)  # held first, in approver order
    assert p.approvers[0] == guilty[0] and all(r["check"] == "replay_end" for r in p.reasons)
    # No approver drew it: the member names the segment on its own.
    p = plan(faked, head, member, innocent)
    assert (p.segments, p.approvers, p.draw_indices) == ((FAKED,), (NO_APPROVER,), (0,))


def test_withheld_data_is_challenged(faked, head):
    member = drawing(FAKED, True)[0]
    served = {k: v for k, v in faked.artifacts.items() if k != checkpoint_id(faked.boundaries[FAKED])}
    p = plan(faked, head, member, [], fetch=in_memory(served))
    assert p.segments == (FAKED,) and p.reasons[0]["check"] == "checkpoint_unavailable"


def test_plan_is_capped_held_entries_first(faked, head):
    """A withheld transcript makes every segment faulty: 12 approvers give up to 24 held entries, cut to 16."""
    member = drawing(FAKED, True)[0]
    approvers = [address(i, 0xC) for i in range(12)]
    served = {k: v for k, v in faked.artifacts.items() if k != faked.claim.transcript_root}
    p = plan(faked, head, member, approvers, fetch=in_memory(served))
    assert_contract_accepts(p)
    assert len(p.segments) == 16 and NO_APPROVER not in p.approvers
    assert p.approvers[0] == approvers[0] and p.draw_indices[0] == 0  # deterministic order: approvers, then draws
    small = plan(faked, head, member, approvers, fetch=in_memory(served), max_entries=3)
    assert (small.segments, small.approvers, small.draw_indices) == (p.segments[:3], p.approvers[:3],
                                                                     p.draw_indices[:3])


def test_bad_arguments_name_the_input(faked, head):
    member = drawing(FAKED, True)[0]
    for kw, name in (({"approvers": [NO_APPROVER]}, "approvers"), ({"approvers": ["0xnope"]}, "approvers"),
                     ({"member": "0xnope"}, "member"), ({"max_entries": 17}, "max_entries")):
        args = {"member": member, "approvers": [], **kw}
        with pytest.raises(ValueError, match=name):
            plan(faked, head, args.pop("member"), args.pop("approvers"), **args)
