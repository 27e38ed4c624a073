"""The block explorer: web pages over the audit database (node/audit), every asset served locally.

    queries.py     the read-only database (meta, checks); v2_queries.py: SQL over the audit tables
    pages.py       HTML helpers, escaped, no template engine; v2_pages.py: the pages
    app.py      the FastAPI app (pages and a small JSON API)
    static/     style.css
"""
