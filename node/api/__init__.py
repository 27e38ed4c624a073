"""The node's HTTP API: artifacts for verifiers, status and ledger views for people and scripts."""
