"""The contract's enums, by value. The ABI carries them as uint8 without names, so they are mirrored here
once (IGradchainLedger.sol is the source) and every module reads them from this file."""
from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    NONE = 0
    WORKER = 1
    VERIFIER = 2

    @property
    def label(self) -> str:
        return self.name.lower()  # "worker", as the CLI and the audit database spell it


class ClaimStatus(IntEnum):
    NONE = 0
    PENDING = 1
    ACCEPTED = 2
    REJECTED = 3
    EXPIRED = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()  # "Accepted", as the node and audit databases store it


class ProposalStatus(IntEnum):
    NONE = 0
    PENDING = 1
    ACCEPTED = 2
    REJECTED = 3
    EXPIRED = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()


class CreditReason(IntEnum):
    REWARD = 0
    FEE = 1
    SLASH_SHARE = 2

    @property
    def label(self) -> str:
        return self.name.title().replace("_", "")  # "Reward", "Fee", "SlashShare"


def label(kind: type[IntEnum], value: int) -> str:
    """The member's label, or the bare number for a value this mirror does not know."""
    try:
        return kind(value).label
    except ValueError:
        return str(value)
