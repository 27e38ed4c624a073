"""The node API's OpenAPI docs at /docs, served offline: swagger-ui's JS and CSS come from the npm package
swagger-ui-dist (package.json, installed by scripts/setup.sh into node_modules), never from a CDN (FastAPI's
default /docs page loads them from jsdelivr, which a node without internet cannot reach)."""
from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# The checkout's node_modules (node/api/docs.py -> repo root); GRADCHAIN_SWAGGER_UI_DIR points elsewhere.
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "swagger-ui-dist"
ASSETS = "/docs-assets"


def swagger_ui_dir() -> Path:
    return Path(os.environ.get("GRADCHAIN_SWAGGER_UI_DIR") or DEFAULT_DIR)


def mount_docs(app: FastAPI) -> None:
    """/docs with local assets; the app must be built with docs_url=None (FastAPI's own page uses the CDN)."""
    assets = swagger_ui_dir()
    have_assets = (assets / "swagger-ui-bundle.js").is_file()
    if have_assets:
        app.mount(ASSETS, StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if not have_assets:
            return HTMLResponse(f"<!doctype html><title>API docs unavailable</title><p>swagger-ui-dist is not "
                                f"installed at {assets}: run scripts/setup.sh (npm ci), or read the schema at "
                                f'<a href="{app.openapi_url}">{app.openapi_url}</a>.</p>', status_code=503)
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} · API docs",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")
