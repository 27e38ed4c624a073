"""The explorer's FastAPI app: HTML pages and a JSON API over the audit database, assets served from static/."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..api.bounds import PathId
from . import pages, v2_pages
from .queries import Reader
from .v2_queries import ReaderV2

STATIC_DIR = Path(__file__).parent / "static"
WEI_FIELDS = {"worker_stake", "verifier_stake", "unbonding", "rewards", "fees", "slash_shares", "slashed", "withdrawn",
              "credit"}


def create_app(db_path: Path) -> FastAPI:
    reader = Reader(db_path)
    v2 = ReaderV2(reader)

    def is_v2() -> bool:
        # Decided per request: the database may have been empty when the explorer started.
        return reader.meta().get("ledger_version") == "2"

    def missing(what: str) -> HTTPException:
        return HTTPException(404, f"{what} is not in the audit database")
    app = FastAPI(title="gradchain explorer", description="The ledger as the audit rebuilt it from the chain.")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    def page(title: str, body: str) -> HTMLResponse:
        return HTMLResponse(pages.layout(title, reader.meta(), body))

    @app.get("/", response_class=HTMLResponse)
    def heads() -> HTMLResponse:
        """The chain of heads of every job, with the metrics chart and the audit's verdicts."""
        if is_v2():
            jobs = v2.jobs()
            return page("heads", v2_pages.home(jobs, {j["job_id"]: v2.heads(j["job_id"]) for j in jobs},
                                               reader.checks()))
        jobs = reader.jobs()
        body = [f"<h1>Chain of heads</h1>{pages.checks_summary(reader.checks())}"]
        for job in jobs:
            body.append(pages.heads_section(job, reader.heads(job["job_id"]), reader.metrics(job["job_id"])))
        if not jobs:
            body.append('<p class="none">No jobs yet.</p>')
        return page("heads", "".join(body))

    @app.get("/claims", response_class=HTMLResponse)
    def claims() -> HTMLResponse:
        if is_v2():
            return page("claims", v2_pages.claims_page(v2.claims()))
        return page("claims", f"<h1>Claims</h1>{pages.claims_table(reader.claims())}")

    @app.get("/claim/{claim_id}", response_class=HTMLResponse)
    def claim(claim_id: PathId) -> HTMLResponse:
        if is_v2():
            found = v2.claim(claim_id)
            if found is None:
                raise missing(f"claim {claim_id}")
            return page(f"claim {claim_id}", v2_pages.claim_page(found))
        found = reader.claim(claim_id)
        if found is None:
            raise HTTPException(404, f"claim {claim_id} is not in the audit database")
        return page(f"claim {claim_id}", pages.claim_page(found))

    @app.get("/addresses", response_class=HTMLResponse)
    def addresses() -> HTMLResponse:
        if is_v2():
            return page("addresses", v2_pages.addresses_page(v2.stakes()))
        return page("addresses", f"<h1>Addresses</h1>{pages.addresses_table(reader.addresses())}")

    @app.get("/address/{account}", response_class=HTMLResponse)
    def address(account: str) -> HTMLResponse:
        if is_v2():
            stakes = v2.stakes(account)
            moves = v2.account_moves(account)
            if not stakes and not moves["credits"] and not moves["slashes"]:
                raise HTTPException(404, f"address {account} does not appear in the ledger")
            return page(f"address {account}", v2_pages.address_page(account, stakes, moves))
        found = reader.address(account)
        if found is None:
            raise HTTPException(404, f"address {account} does not appear in the ledger")
        return page(f"address {account}", pages.address_page(found))

    @app.get("/disputes", response_class=HTMLResponse)
    def disputes() -> HTMLResponse:
        return page("disputes", v2_pages.disputes_page(v2.disputes() if is_v2() else []))

    @app.get("/disputes/{dispute_id}", response_class=HTMLResponse)
    def dispute(dispute_id: PathId) -> HTMLResponse:
        found = v2.dispute(dispute_id) if is_v2() else None
        if found is None:
            raise missing(f"dispute {dispute_id}")
        return page(f"dispute {dispute_id}", v2_pages.dispute_page(found))

    @app.get("/proposals/{proposal_id}", response_class=HTMLResponse)
    def proposal(proposal_id: PathId) -> HTMLResponse:
        found = v2.proposal(proposal_id) if is_v2() else None
        if found is None:
            raise missing(f"head proposal {proposal_id}")
        return page(f"proposal {proposal_id}", v2_pages.proposal_page(found))

    @app.get("/api/disputes/{dispute_id}")
    def api_dispute(dispute_id: PathId) -> dict:
        found = v2.dispute(dispute_id) if is_v2() else None
        if found is None:
            raise missing(f"dispute {dispute_id}")
        return found

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
