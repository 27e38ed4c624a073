"""The explorer's FastAPI app: HTML pages and a JSON API over the audit database, assets served from static/."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..api.bounds import PathId
from . import pages
from .queries import Reader

STATIC_DIR = Path(__file__).parent / "static"
WEI_FIELDS = {"worker_stake", "verifier_stake", "unbonding", "rewards", "fees", "slash_shares", "slashed", "withdrawn",
              "credit"}


def create_app(db_path: Path) -> FastAPI:
    reader = Reader(db_path)
    app = FastAPI(title="gradchain explorer", description="The ledger as the audit rebuilt it from the chain.")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    def page(title: str, body: str) -> HTMLResponse:
        return HTMLResponse(pages.layout(title, reader.meta(), body))

    @app.get("/", response_class=HTMLResponse)
    def heads() -> HTMLResponse:
        """The chain of heads of every job, with the metrics chart and the audit's verdicts."""
        jobs = reader.jobs()
        body = [f"<h1>Chain of heads</h1>{pages.checks_summary(reader.checks())}"]
        for job in jobs:
            body.append(pages.heads_section(job, reader.heads(job["job_id"]), reader.metrics(job["job_id"])))
        if not jobs:
            body.append('<p class="none">No jobs yet.</p>')
        return page("heads", "".join(body))

    @app.get("/claims", response_class=HTMLResponse)
    def claims() -> HTMLResponse:
        return page("claims", f"<h1>Claims</h1>{pages.claims_table(reader.claims())}")

    @app.get("/claim/{claim_id}", response_class=HTMLResponse)
    def claim(claim_id: PathId) -> HTMLResponse:
        found = reader.claim(claim_id)
        if found is None:
            raise HTTPException(404, f"claim {claim_id} is not in the audit database")
        return page(f"claim {claim_id}", pages.claim_page(found))

    @app.get("/addresses", response_class=HTMLResponse)
    def addresses() -> HTMLResponse:
        return page("addresses", f"<h1>Addresses</h1>{pages.addresses_table(reader.addresses())}")

    @app.get("/address/{account}", response_class=HTMLResponse)
    def address(account: str) -> HTMLResponse:
        found = reader.address(account)
        if found is None:
            raise HTTPException(404, f"address {account} does not appear in the ledger")
        return page(f"address {account}", pages.address_page(found))

    @app.get("/checks", response_class=HTMLResponse)
    def checks() -> HTMLResponse:
        return page("audit", pages.checks_page(reader.checks()))

    # -- JSON ------------------------------------------------------------------------------------------------
    @app.get("/api/checks")
    def api_checks() -> list[dict]:
        return reader.checks()

    @app.get("/api/jobs/{job_id}/heads")
    def api_heads(job_id: PathId) -> list[dict]:
        return reader.heads(job_id)

    @app.get("/api/jobs/{job_id}/metrics")
    def api_metrics(job_id: PathId) -> list[dict]:
        return reader.metrics(job_id)

    @app.get("/api/claims")
    def api_claims() -> list[dict]:
        return reader.claims()

    @app.get("/api/addresses")
    def api_addresses() -> list[dict]:
        # Wei amounts as decimal strings: JSON numbers lose precision past 2**53.
        return [{k: (str(v) if k in WEI_FIELDS else v) for k, v in a.items()} for a in reader.addresses()]

    return app
