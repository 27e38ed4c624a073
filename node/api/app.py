"""Build the node's FastAPI app: artifacts, status and ledger views, OpenAPI docs at /docs."""
from __future__ import annotations

from fastapi import FastAPI

from . import artifacts, ledger_views, relay
from .context import NodeContext
from .docs import mount_docs


def create_app(context: NodeContext) -> FastAPI:
    app = FastAPI(title=f"gradchain {context.role} node", version="1",
                  description="Content-addressed training artifacts and this node's view of the ledger.",
                  docs_url=None, redoc_url=None)  # /docs is mount_docs's: swagger-ui served locally, no CDN
    app.state.node = context
    app.include_router(artifacts.router)
    app.include_router(ledger_views.router)
    app.include_router(relay.router)
    if context.role == "gateway":  # the contributor page (issue 17)
        from ..contribute.routes import router as contribute_router

        app.include_router(contribute_router)
    mount_docs(app)
    return app
