"""The v2 ledger checks: each a named CheckResult whose failures name the claim, dispute, proposal, seat or account.

Inputs: the rebuilt tables (rebuild.load) and the contract's views at the snapshot block (snapshot.py); no RPC.
Rules come from node/chain/v2/rules.py, draws from verifier/committee.py,
samples from verifier/sampling.py: nothing is re-derived here.
"""
from __future__ import annotations

from ..report import CheckResult
from .check_draws import check_committees, check_juries, check_verdicts
from .check_heads import check_finality, check_head_chain
from .check_money import check_conservation, check_credits, check_stakes, expected_dispute_split
from .check_slashes import check_slashes, why_not_justified
from .rebuilt import Rebuilt
from .snapshot import SnapshotV2

__all__ = ["Rebuilt", "all_checks", "check_committees", "check_conservation", "check_credits", "check_finality",
           "check_head_chain", "check_juries", "check_slashes", "check_stakes", "check_verdicts",
           "expected_dispute_split", "why_not_justified"]


def all_checks(tables: dict[str, list[dict]], snap: SnapshotV2) -> list[CheckResult]:
    books = Rebuilt(tables)
    return [check_committees(books, snap), check_juries(books, snap), check_verdicts(books, snap),
            check_slashes(books), check_credits(books, snap), check_stakes(books, snap),
            check_conservation(books, snap), check_head_chain(books, snap), check_finality(books, snap)]
