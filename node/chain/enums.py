"""The contract's enums that roles outside node/chain/v2/ read (the worker, its earnings): re-exported from
node/chain/v2/views.py, the one module that mirrors ILedgerV2.sol."""
from __future__ import annotations

from .v2.views import CreditReason, Role

__all__ = ["CreditReason", "Role"]
