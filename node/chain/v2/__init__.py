"""The v2 ledger (contracts/src/v2/) seen from Python: deployment, typed views, the pure mirror of its rules,
EIP-712 approvals. The one module of the node that knows the v2 contract's shape (PROTOCOL.md §7)."""
