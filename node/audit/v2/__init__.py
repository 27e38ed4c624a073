"""The audit of a LedgerV2 deployment (contracts/v2.md): the same resumable ingest as v1, then its own tables and
checks.

    rebuild.py   replay the v2 events into tables: jobs, rounds, heads, seats, stakes (active, locked, unbonding,
                 credit), claims, committees, approvals, disputes, challenges, jury attempts and votes, proposals,
                 credits, slashes; bond locks derived from the obligations' events and the job params
    snapshot.py  the contract's views at the snapshot block
    checks.py    committees, juries, verdicts, slashes, credits, stakes, conservation, head chain, finality
    run.py       the whole v2 audit, start to report
"""
