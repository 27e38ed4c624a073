"""gradchain verifier: sampled re-execution of claims (PROTOCOL.md §5). Pure logic, no chain, HTTP or files."""
