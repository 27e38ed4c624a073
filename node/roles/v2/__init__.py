"""The roles on LedgerV2 (PROTOCOL.md v2 §7): committee members and jurors, the aggregator's batch finalization
and bonded heads. The worker is the v1 one (its claim and its bond look the same to it)."""
