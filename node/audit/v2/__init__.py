"""The audit of a LedgerV2 deployment (contracts/v2.md): the resumable ingest (node/audit/ingest.py), then its tables and
checks.

    rebuild.py   replay the v2 events into tables: jobs, rounds, heads, seats, stakes (active, locked, unbonding,
                 credit), claims, committees, approvals, disputes, challenges, jury attempts and votes, proposals,
                 credits, slashes; bond locks derived from the obligations' events and the job params
    store.py     the tables' keys, SQLite cells (big wei as TEXT, lists as JSON), reading them back
    snapshot.py  the contract's views at the snapshot block
    rebuilt.py   the tables indexed for the checks
    checks.py    committees, juries, verdicts (check_draws.py), slashes (check_slashes.py), credits, stakes,
                 conservation (check_money.py), head chain, finality (check_heads.py)
    run.py       the whole v2 audit, start to report
"""
