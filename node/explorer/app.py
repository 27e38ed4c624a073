"""The explorer's FastAPI app: HTML pages and a JSON API over the audit database, assets served from static/.

Every list takes ?page=N&size=M; unknown ids, hashes, blocks and paths answer a 404 page (the site's layout and a
search box); the JSON API under /api answers JSON errors.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..api.bounds import PathId
from . import chain_pages, charts, pages, v2_pages
from .chain_queries import ADDRESS, HASH32
from .paging import BadQuery, Paging
from .queries import Reader
from .v2_queries import ReaderV2

STATIC_DIR = Path(__file__).parent / "static"
WEI_FIELDS = {"active", "locked", "unbonding", "credit", "staked", "slashed", "withdrawn"}


class NotFound(Exception):
    """Something a page names is not in the audit database (shown as the 404 page)."""


def create_app(db_path: Path) -> FastAPI:
    reader = Reader(db_path)
    v2 = ReaderV2(reader)
    chain = v2.chain

    def missing(what: str) -> NotFound:
        return NotFound(f"{what} is not in the audit database")

    app = FastAPI(title="gradchain explorer", description="The ledger as the audit rebuilt it from the chain.")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    def page(title: str, body: str, status_code: int = 200, query: str = "") -> HTMLResponse:
        return HTMLResponse(pages.layout(title, reader.meta(), body, chain_pages.sync_line(chain.cursor()), query),
                            status_code=status_code)

    @app.exception_handler(NotFound)
    def not_found(request: Request, exc: NotFound):
        return page("not found", chain_pages.not_found_page(str(exc)), 404)

    @app.exception_handler(BadQuery)
    def bad_query(request: Request, exc: BadQuery):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return page("bad request", chain_pages.bad_request_page(str(exc)), 400)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api/") or exc.status_code != 404:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        detail = exc.detail if exc.detail != "Not Found" else f"there is no page at {request.url.path}"
        return page("not found", chain_pages.not_found_page(detail), 404)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        why = "; ".join(f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        if any(e["loc"][0] == "path" for e in exc.errors()):  # /claim/abc names nothing that can exist
            return page("not found", chain_pages.not_found_page(f"{request.url.path} names nothing here ({why})"),
                        404)
        return page("bad request", chain_pages.bad_request_page(why), 400)

    def paging(page_: Optional[str], size: Optional[str]) -> Paging:
        return Paging.parse(page_, size)

    @app.get("/", response_class=HTMLResponse)
    def heads(page: Optional[str] = None, size: Optional[str] = None) -> HTMLResponse:
        """The chain of heads of every job, with the audit's verdicts."""
        p = paging(page, size)
        jobs = v2.jobs()
        body = v2_pages.home(jobs, {j["job_id"]: v2.heads(j["job_id"], p) for j in jobs}, reader.checks(), p)
        return _page("heads", body)

    def _page(title: str, body: str) -> HTMLResponse:
        return page(title, body)

    @app.get("/heads", response_class=HTMLResponse)
    def heads_list(page: Optional[str] = None, size: Optional[str] = None) -> HTMLResponse:
        return heads(page, size)

    @app.get("/claims", response_class=HTMLResponse)
    def claims(page: Optional[str] = None, size: Optional[str] = None) -> HTMLResponse:
        p = paging(page, size)
        rows, total = v2.claims(p)
        return _page("claims", v2_pages.claims_page(rows, total, p))

    @app.get("/claim/{claim_id}", response_class=HTMLResponse)
    def claim(claim_id: PathId) -> HTMLResponse:
        found = v2.claim(claim_id)
        if found is None:
            raise missing(f"claim #{claim_id}")
        return _page(f"claim {claim_id}", v2_pages.claim_page(found))

    @app.get("/addresses", response_class=HTMLResponse)
    def addresses(page: Optional[str] = None, size: Optional[str] = None) -> HTMLResponse:
        p = paging(page, size)
        roles = list(chain.roles().items())
        shown = roles[p.offset:p.offset + p.size]
        accounts = {a.lower() for a, _ in shown}
        stakes = [s for s in v2.stakes() if s["account"].lower() in accounts]
        return _page("addresses", v2_pages.addresses_page(shown, stakes, len(roles), p))

    @app.get("/address/{account}", response_class=HTMLResponse)
    def address(account: str, page: Optional[str] = None, size: Optional[str] = None) -> HTMLResponse:
        if not ADDRESS.match(account):
            raise NotFound(f"{account!r} is not an address: expected 0x and 40 hex digits")
        p = paging(page, size)
        roles = next((r for a, r in chain.roles().items() if a.lower() == account.lower()), [])
        stakes = v2.stakes(account)
        moves = v2.account_moves(account)
        txs, total = chain.address_txs(account, p)
        if not roles and not stakes and not moves["credits"] and not moves["slashes"] and not txs:
            raise NotFound(f"address {account} does not appear in the ledger")
        sent = chain_pages.txs_table(txs) + p.nav(f"/address/{account}", total)
        return _page(f"address {account}", v2_pages.address_page(account, roles, stakes, moves,
                                                                  v2.claims(worker=account), sent))

    @app.get("/disputes", response_class=HTMLResponse)
    def disputes(page: Optional[str] = None, size: Optional[str] = None) -> HTMLResponse:
        p = paging(page, size)
        rows, total = v2.disputes(p)
        return _page("disputes", v2_pages.disputes_page(rows, total, p))

    @app.get("/disputes/{dispute_id}", response_class=HTMLResponse)
    def dispute(dispute_id: PathId) -> HTMLResponse:
        found = v2.dispute(dispute_id)
        if found is None:
            raise missing(f"dispute #{dispute_id}")
        return _page(f"dispute {dispute_id}", v2_pages.dispute_page(found))

    @app.get("/proposals", response_class=HTMLResponse)
    def proposals(page: Optional[str] = None, size: Optional[str] = None) -> HTMLResponse:
        p = paging(page, size)
        rows, total = v2.proposals(p)
        return _page("head proposals", v2_pages.proposals_page(rows, total, p))

    @app.get("/proposals/{proposal_id}", response_class=HTMLResponse)
    def proposal(proposal_id: PathId) -> HTMLResponse:
        found = v2.proposal(proposal_id)
        if found is None:
            raise missing(f"head proposal #{proposal_id}")
        return _page(f"proposal {proposal_id}", v2_pages.proposal_page(found))

    @app.get("/events", response_class=HTMLResponse)
    def events(page: Optional[str] = None, size: Optional[str] = None, name: Optional[str] = None) -> HTMLResponse:
        p = paging(page, size)
        names = chain.event_names()
        if name and name not in names:
            raise BadQuery(f"?name={name!r} is not an event of this ledger: expected one of {', '.join(names)}")
        rows, total = chain.events(p, name=name or None)
        return _page("events", chain_pages.events_page(rows, total, p, names, name))

    @app.get("/txs", response_class=HTMLResponse)
    def txs(page: Optional[str] = None, size: Optional[str] = None) -> HTMLResponse:
        p = paging(page, size)
        rows, total = chain.txs(p)
        return _page("transactions", chain_pages.txs_page(rows, total, p))

    @app.get("/tx/{tx_hash}", response_class=HTMLResponse)
    def tx(tx_hash: str) -> HTMLResponse:
        if not HASH32.match(tx_hash):
            raise NotFound(f"{tx_hash!r} is not a transaction hash: expected 0x and 64 hex digits")
        found = chain.tx(tx_hash)
        emitted, _ = chain.events(Paging(1, 10_000), tx_hash=tx_hash)
        if found is None and not emitted:
            raise missing(f"transaction {tx_hash}")
        return _page(f"transaction {tx_hash}", chain_pages.tx_page(tx_hash, found, sorted(
            emitted, key=lambda e: e["log_index"])))

    @app.get("/block/{number}", response_class=HTMLResponse)
    def block(number: str) -> HTMLResponse:
        if not number.isdigit():
            raise NotFound(f"{number!r} is not a block number: expected a whole number")
        n = int(number)
        if not chain.block_known(n):
            cursor = chain.cursor()
            raise NotFound(f"block {n:,} is not in the audit database (it is synced to block "
                           f"{cursor['block']:,})" if cursor else f"block {n:,} is not in the audit database")
        emitted, _ = chain.events(Paging(1, 10_000), block=n)
        return _page(f"block {n}", chain_pages.block_page(n, chain.block(n), chain.block_txs(n),
                                                          sorted(emitted, key=lambda e: e["log_index"]),
                                                          chain.cursor()["block"], chain.block_known(n - 1)))

    @app.get("/checkpoint/{checkpoint}", response_class=HTMLResponse)
    def checkpoint(checkpoint: str) -> HTMLResponse:
        if not HASH32.match(checkpoint):
            raise NotFound(f"{checkpoint!r} is not a checkpoint id: expected 0x and 64 hex digits")
        found = chain.checkpoint(checkpoint)
        if not any(found.values()):
            raise missing(f"checkpoint {checkpoint}")
        return _page(f"checkpoint {checkpoint}", chain_pages.checkpoint_page(checkpoint, found))

    @app.get("/search", response_class=HTMLResponse)
    def search(q: str = ""):
        query = q.strip()
        if not query:
            return page("search", chain_pages.not_found_page("type something to search for"), 400)
        found = chain.search(query)
        if len(found) == 1:
            return RedirectResponse(found[0][1], status_code=303)
        if not found:
            return page("nothing found", chain_pages.not_found_page(f"nothing found for {query}", query), 404, query)
        return page(f"results for {query}", chain_pages.search_results(query, found), query=query)

    @app.get("/charts", response_class=HTMLResponse)
    def charts_view() -> HTMLResponse:
        return _page("charts", charts.charts_page(v2.claims(), v2.rows("select * from proposals"), *v2.loss_rows()))

    @app.get("/checks", response_class=HTMLResponse)
    def checks() -> HTMLResponse:
        return _page("audit", pages.checks_page(reader.checks()))

    # -- JSON ------------------------------------------------------------------------------------------------
    @app.get("/api/disputes/{dispute_id}")
    def api_dispute(dispute_id: PathId) -> dict:
        found = v2.dispute(dispute_id)
        if found is None:
            raise HTTPException(404, f"dispute {dispute_id} is not in the audit database")
        return found

    @app.get("/api/checks")
    def api_checks() -> list[dict]:
        return reader.checks()

    @app.get("/api/sync")
    def api_sync() -> dict:
        return chain.cursor() or {}

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
