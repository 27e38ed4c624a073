"""The one settlement rule node/chain/v2/rules.py lacks: who shares a resolved head dispute's pot
(LedgerV2Disputes.resolveDispute with _settleJurors, _settleChallengers, _settleHead), in its winner order.

Integrator: this belongs beside claim_verdict_split in node/chain/v2/rules.py (a shared file, not this audit's)."""
from __future__ import annotations

from node.chain.v2.rules import Outcome, Split, split


def head_verdict_split(outcome: Outcome, *, proposer: str, jurors: list[str], revealed: dict[str, int],
                       challengers: list[str], juror_bond: int, challenge_bond: int, head_bond: int) -> Split:
    """Head wrong (bit 0 proven): the proposer loses headBond, the challenger and the majority share. Head right:
    the challenger loses challengeBond to the proposer and the majority. Minority and silent jurors lose theirs."""
    faulty = outcome.faulty_mask
    winners: list[str] = []
    pot = 0
    for j in jurors:
        if revealed.get(j) == faulty:
            winners.append(j)
        else:
            pot += juror_bond
    for c in challengers:
        if faulty & 1:
            winners.append(c)
        else:
            pot += challenge_bond
    if faulty & 1:
        pot += head_bond
    else:
        winners.append(proposer)
    share, dust = split(pot, len(winners))
    return Split(pot, tuple(winners), share, dust)
