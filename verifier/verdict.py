"""A verifier's decision on one claim, with a machine-readable reason (PROTOCOL.md §5.4)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["approve", "reject", "abstain"]


@dataclass(frozen=True)
class Verdict:
    """`approve`/`reject` become a signed vote; `abstain` is no vote at all (the claim could not be judged).

    `reason` is JSON-serialisable: always a `check` (which rule decided), plus whatever locates and measures
    the failure (`segment`, `distance`, `expected`, `got`, ...). An approval lists the segments replayed.
    """

    decision: Decision
    reason: dict[str, Any] = field(default_factory=dict)

    @property
    def votes(self) -> bool:
        """True when this verdict is a vote to sign (approve or reject); False for an abstention."""
        return self.decision != "abstain"

    @property
    def approve(self) -> bool:
        """The verdict approves the claim; only meaningful when `votes`."""
        return self.decision == "approve"

    def to_json(self) -> dict[str, Any]:
        """The verdict as a plain dict, ready for the node's local record."""
        return {"decision": self.decision, "reason": self.reason}


def approve(**details: Any) -> Verdict:
    """Every check passed."""
    return Verdict("approve", {"check": "all", **details})


def reject(check: str, **details: Any) -> Verdict:
    """The committed evidence proves the claim wrong: `check` names the rule that failed."""
    return Verdict("reject", {"check": check, **details})


def abstain(check: str, **details: Any) -> Verdict:
    """No vote: the evidence could not be obtained or bound to the claim (never a guess)."""
    return Verdict("abstain", {"check": check, **details})
