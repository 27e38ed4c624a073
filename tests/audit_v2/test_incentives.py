"""node/incentives.py: every credit and slash lands on the claim it is about, whatever its event's subject names
(a claim, a dispute, a proposal), and two members are compared only on the claims both were drawn for."""
from node.chain.v2.views import CreditReason, DisputeKind, SlashReason
from node.incentives import net_by_claim, shared_difference

A, B, W = "0xA", "0xB", "0xW"


def ev(name, **args):
    return {"event": name, "args": args}


EVENTS = [
    ev("DisputeOpened", disputeId=1, kind=DisputeKind.CLAIM, subjectId=7),
    ev("DisputeOpened", disputeId=2, kind=DisputeKind.HEAD, subjectId=3),
    ev("Credited", account=A, subjectId=5, amount=10, reason=CreditReason.FEE),
    ev("Credited", account=B, subjectId=5, amount=10, reason=CreditReason.FEE),
    ev("Slashed", account=B, role=2, subjectId=7, amount=50, reason=SlashReason.APPROVAL_BOND),
    ev("Slashed", account=W, role=1, subjectId=7, amount=500, reason=SlashReason.CLAIM_BOND),
    ev("Credited", account=A, subjectId=1, amount=275, reason=CreditReason.SLASH_SHARE),  # dispute 1: claim 7
    ev("Slashed", account=A, role=2, subjectId=1, amount=20, reason=SlashReason.JUROR_BOND),
    ev("Credited", account=A, subjectId=2, amount=99, reason=CreditReason.SLASH_SHARE),  # a head dispute
    ev("Slashed", account=B, role=2, subjectId=3, amount=100, reason=SlashReason.HEAD_BOND),  # a proposal
]


def test_every_movement_lands_on_its_claim_and_head_matters_stay_out():
    net = net_by_claim(EVENTS)
    assert dict(net[A]) == {5: 10, 7: 255}
    assert dict(net[B]) == {5: 10, 7: -50}
    assert dict(net[W]) == {7: -500}


def test_members_are_compared_on_the_claims_they_share_only():
    net = net_by_claim(EVENTS)
    committees = {5: (A, B, W), 7: (A, B), 9: (A,)}
    assert shared_difference(net, committees, A, B, [5, 7, 9]) == 0 + 305
    assert shared_difference(net, committees, A, B, [5]) == 0  # same duty, same pay
    assert shared_difference(net, {5: (A,)}, A, B, [5, 7]) == 0  # never together
