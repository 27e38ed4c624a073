"""The block explorer: web pages over the audit database (node/audit), every asset served locally.

    queries.py  read-only SQL over the audit tables
    pages.py    HTML, escaped, no template engine
    app.py      the FastAPI app (pages and a small JSON API)
    static/     style.css and chart.js (an SVG chart of held-out loss and accuracy per head)
"""
