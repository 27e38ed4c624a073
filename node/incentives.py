"""Who gained and who lost, from LedgerV2's events and balances (PROTOCOL.md v2 §8): the figures that show the
incentives hold. Used by the demo's adversaries report and by the tests that run rational adversaries.

Events carry their subject as a claim (rewards, fees, claim, approval, expiry and miss slashes), a dispute (slash
shares, challenge and juror bonds) or a proposal (head bonds); `net_by_claim` attributes every claim-dispute
movement to its claim, so that two members of the same committees can be compared claim by claim.
"""
from __future__ import annotations

from collections import defaultdict

from .chain.v2.views import CreditReason, DisputeKind, Role, SlashReason

BY_DISPUTE = {SlashReason.CHALLENGE_BOND, SlashReason.JUROR_BOND}  # Slashed subjects that are disputes
BY_PROPOSAL = {SlashReason.HEAD_BOND}


def holdings(ledger, address: str, block: int | str = "latest") -> int:
    """Wei `address` holds: its balance, plus its stakes (active and unbonding) and unpaid credits in every role."""
    total = ledger.w3.eth.get_balance(address, block_identifier=block)
    for role in (Role.WORKER, Role.VERIFIER):
        stake = ledger.stake(address, role, block=block)
        total += stake.active + stake.unbonding + stake.credit
    return total


def claims_of_disputes(events: list[dict]) -> dict[int, int]:
    """dispute id -> claim id, for claim disputes."""
    return {e["args"]["disputeId"]: e["args"]["subjectId"] for e in events
            if e["event"] == "DisputeOpened" and e["args"]["kind"] == DisputeKind.CLAIM}


def net_by_claim(events: list[dict]) -> dict[str, dict[int, int]]:
    """account -> claim id -> wei credited minus wei slashed over that claim and its dispute (head matters out)."""
    claim_of = claims_of_disputes(events)
    net: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for e in events:
        a = e["args"]
        if e["event"] == "Credited":
            claim = claim_of.get(a["subjectId"]) if a["reason"] == CreditReason.SLASH_SHARE else a["subjectId"]
            sign = 1
        elif e["event"] == "Slashed":
            if a["reason"] in BY_PROPOSAL:
                continue
            claim = claim_of.get(a["subjectId"]) if a["reason"] in BY_DISPUTE else a["subjectId"]
            sign = -1
        else:
            continue
        if claim is not None:
            net[a["account"]][claim] += sign * a["amount"]
    return net


def shared_difference(net: dict[str, dict[int, int]], committees: dict[int, tuple[str, ...]], a: str, b: str,
                      claims: list[int]) -> int:
    """Σ over the claims of `claims` whose committee holds both a and b of (a's net - b's net) on that claim: what
    a gained over b doing the same duties."""
    return sum(net.get(a, {}).get(c, 0) - net.get(b, {}).get(c, 0) for c in claims
               if a in committees.get(c, ()) and b in committees.get(c, ()))
