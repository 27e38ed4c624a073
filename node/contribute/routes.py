"""The contributor page's HTTP side, served by a gateway node (`gradchain node run --role gateway`, issue 17).

/contribute            the page (static/index.html; the JS trains in a Web Worker, signs with a key kept in the
                       browser; nothing is loaded from anywhere but this node)
/contribute/static/... the page's scripts; lib/ethers.js and lib/noble/*.js from npm (package.json), not a CDN
/contribute/job        what the page needs: chain, ledger, ABI (from forge's artifacts), the job's spec hash, key
                       and terms, and the round it is in (?live=1: only the changing fields)
/contribute/module.wasm the job's step function; /contribute/dataset its training split; /contribute/claims
                       a worker's claims as this node's follower saw them
Artifacts (heads to start from, the page's uploads) go through the node's own /artifacts routes.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

STATIC = Path(__file__).parent / "static"
PAGE_FILES = {"app.js", "core.js", "trainer.js", "page.css"}
# The checkout's node_modules (node/contribute/routes.py -> repo root); GRADCHAIN_NODE_MODULES points elsewhere.
NODE_MODULES = Path(os.environ.get("GRADCHAIN_NODE_MODULES") or Path(__file__).resolve().parents[2] / "node_modules")
NOBLE_FILE = re.compile(r"[a-z0-9_-]{1,40}\.js")
JS = "text/javascript"

router = APIRouter(prefix="/contribute", include_in_schema=False)


def _gateway(request: Request):
    gateway = getattr(request.app.state.node, "contribute", None)
    if gateway is None:
        raise HTTPException(503, "the gateway has not read its job yet: try again in a few seconds")
    return gateway


@router.get("", response_class=HTMLResponse)
def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    if name not in PAGE_FILES:
        raise HTTPException(404, f"no page file {name!r}")
    return FileResponse(STATIC / name, media_type=JS if name.endswith(".js") else "text/css")


@router.get("/static/lib/ethers.js")
def ethers_js() -> FileResponse:
    return _npm_file(NODE_MODULES / "ethers" / "dist" / "ethers.min.js")


@router.get("/static/lib/noble/{name}")
def noble_js(name: str) -> FileResponse:
    if not NOBLE_FILE.fullmatch(name):
        raise HTTPException(404, f"no such file {name!r} in @noble/hashes")
    return _npm_file(NODE_MODULES / "@noble" / "hashes" / name)


def _npm_file(path: Path) -> FileResponse:
    if not path.is_file():
        raise HTTPException(503 if not NODE_MODULES.is_dir() else 404,
                            f"{path} is not installed: run scripts/setup.sh (npm ci installs the page's libraries)")
    return FileResponse(path, media_type=JS)


@router.get("/job")
def job(request: Request, live: int = 0) -> JSONResponse:
    gateway = _gateway(request)
    return JSONResponse(gateway.live() if live else gateway.job_info())


@router.get("/module.wasm")
def module(request: Request) -> Response:
    return Response(_gateway(request).module(), media_type="application/wasm")


@router.get("/dataset")
def dataset(request: Request) -> Response:
    return Response(_gateway(request).dataset(), media_type="application/octet-stream")


@router.get("/claims")
def claims(request: Request, worker: str) -> list[dict]:
    return _gateway(request).claims_of(worker)
