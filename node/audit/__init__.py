"""The auditor (PROTOCOL.md §2, issue 7): rebuild the ledger from chain events alone and re-check it.

    ingest.py   read every ledger event in pages of blocks into a resumable raw log (events, blocks)
    db.py       the audit database: the raw log, the meta binding it to one deployment, the checks
    v2/         the LedgerV2 tables and checks (v2/__init__.py lists them)
    run.py      `gradchain audit`'s options and entry point; report.py renders the report

The audit needs no key and trusts nothing but the chain's events and the contract's views at one snapshot block.
"""
