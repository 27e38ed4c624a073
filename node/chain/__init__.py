"""Chain client: the node's only door to the ledger contract (artifacts, transactions, events, reverts)."""
