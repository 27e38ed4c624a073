"""The auditor (PROTOCOL.md §2, issue 7): rebuild the ledger from chain events alone and re-check it.

    ingest.py   read every ledger event in pages of blocks into a resumable raw log (events, transactions, blocks)
    rebuild.py  derive the browsable tables (jobs, rounds, heads, claims, votes, stakes, ...) from that log
    checks.py   the ledger checks that need only the chain: votes and signatures, credits, ETH, head chain
    evidence.py the checks that need artifacts: heads as averages, held-out metrics, full replays
    run.py      the whole audit, start to report; report.py renders it

The audit needs no key and trusts nothing but the chain's events, the contract's views at one snapshot block,
and content-addressed artifacts checked against their ids.
"""
