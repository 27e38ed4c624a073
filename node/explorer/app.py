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
WEI_FIELDS = {"active", "locked", "unbonding", "credit", "staked", "slashed", "withdrawn"}


def create_app(db_path: Path) -> FastAPI:
    reader = Reader(db_path)
    v2 = ReaderV2(reader)

    def missing(what: str) -> HTTPException:
        return HTTPException(404, f"{what} is not in the audit database")
    app = FastAPI(title="gradchain explorer", description="The ledger as the audit rebuilt it from the chain.")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    def page(title: str, body: str) -> HTMLResponse:
        return HTMLResponse(pages.layout(title, reader.meta(), body))

    @app.get("/", response_class=HTMLResponse)
    def heads() -> HTMLResponse:
        """The chain of heads of every job, with the audit's verdicts."""
        jobs = v2.jobs()
        return page("heads", v2_pages.home(jobs, {j["job_id"]: v2.heads(j["job_id"]) for j in jobs}, reader.checks()))

    @app.get("/claims", response_class=HTMLResponse)
    def claims() -> HTMLResponse:
        return page("claims", v2_pages.claims_page(v2.claims()))

    @app.get("/claim/{claim_id}", response_class=HTMLResponse)
    def claim(claim_id: PathId) -> HTMLResponse:
        found = v2.claim(claim_id)
        if found is None:
            raise missing(f"claim {claim_id}")
        return page(f"claim {claim_id}", v2_pages.claim_page(found))

    @app.get("/addresses", response_class=HTMLResponse)
    def addresses() -> HTMLResponse:
        return page("addresses", v2_pages.addresses_page(v2.stakes()))

    @app.get("/address/{account}", response_class=HTMLResponse)
    def address(account: str) -> HTMLResponse:
        stakes = v2.stakes(account)
        moves = v2.account_moves(account)
        if not stakes and not moves["credits"] and not moves["slashes"]:
            raise HTTPException(404, f"address {account} does not appear in the ledger")
        return page(f"address {account}", v2_pages.address_page(account, stakes, moves))

    @app.get("/disputes", response_class=HTMLResponse)
    def disputes() -> HTMLResponse:
        return page("disputes", v2_pages.disputes_page(v2.disputes()))

    @app.get("/disputes/{dispute_id}", response_class=HTMLResponse)
    def dispute(dispute_id: PathId) -> HTMLResponse:
        found = v2.dispute(dispute_id)
        if found is None:
            raise missing(f"dispute {dispute_id}")
        return page(f"dispute {dispute_id}", v2_pages.dispute_page(found))

    @app.get("/proposals/{proposal_id}", response_class=HTMLResponse)
    def proposal(proposal_id: PathId) -> HTMLResponse:
        found = v2.proposal(proposal_id)
        if found is None:
            raise missing(f"head proposal {proposal_id}")
        return page(f"proposal {proposal_id}", v2_pages.proposal_page(found))

    @app.get("/api/disputes/{dispute_id}")
    def api_dispute(dispute_id: PathId) -> dict:
        found = v2.dispute(dispute_id)
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
        return v2.heads(job_id)

    @app.get("/api/claims")
    def api_claims() -> list[dict]:
        return v2.claims()

    @app.get("/api/addresses")
    def api_addresses() -> list[dict]:
        # Wei amounts as decimal strings: JSON numbers lose precision past 2**53.
        return [{k: (str(v) if k in WEI_FIELDS else v) for k, v in a.items()} for a in v2.stakes()]

    return app
