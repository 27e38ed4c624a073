"""The roles on LedgerV2 (PROTOCOL.md v2 §7): committee members and jurors, the approval relay, the
aggregator's batch finalization and bonded heads. The worker is node/roles/worker.py."""
