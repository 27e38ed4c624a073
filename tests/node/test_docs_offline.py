"""The node API's OpenAPI docs page works offline: in a real headless chromium whose every request to another host
is blocked, /docs renders swagger UI with the node's own operations, every asset served by the node itself."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))  # screenshots.py

from node.api.app import create_app  # noqa: E402
from node.api.context import NodeContext  # noqa: E402
from node.api.docs import swagger_ui_dir  # noqa: E402
from node.api.server import BackgroundServer  # noqa: E402
from node.artifact_store import ArtifactStore  # noqa: E402
from node.state import NodeState  # noqa: E402
from screenshots import save_screenshot  # noqa: E402

CHROMIUM = Path(os.environ.get("GRADCHAIN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is installed by scripts/setup.sh")
if not CHROMIUM.exists():
    pytest.skip(f"no chromium at {CHROMIUM}: scripts/setup.sh installs Debian's chromium", allow_module_level=True)


@pytest.fixture
def node_server(tmp_path):
    context = NodeContext(role="worker", address="0x" + "11" * 20, chain_id=31337, ledger_address="0x" + "22" * 20,
                          store=ArtifactStore(tmp_path / "artifacts"), state=NodeState(tmp_path / "node.db"))
    server = BackgroundServer(create_app(context)).start()
    yield server.url
    server.stop()


def test_docs_page_renders_swagger_ui_with_only_the_nodes_own_requests(node_server, tmp_path):
    assert (swagger_ui_dir() / "swagger-ui-bundle.js").is_file(), "scripts/setup.sh installs swagger-ui-dist"
    own = urlsplit(node_server).netloc
    served, blocked = [], []

    def route(r):
        if urlsplit(r.request.url).netloc == own:
            served.append(r.request.url)
            r.continue_()
        else:  # a CDN or any other host: the offline node has none
            blocked.append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route("**/*", route)
        response = page.goto(node_server + "/docs")
        assert response.status == 200
        page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=15_000)
        title = page.inner_text(".swagger-ui .info .title")
        paths = page.eval_on_selector_all(".opblock-summary-path", "ps => ps.map(p => p.innerText.trim())")
        save_screenshot(page, tmp_path, "node-api-docs", Path("/tmp/explorer-shots"))
        browser.close()
    assert blocked == [], f"requests to other hosts: {blocked}"
    assert "gradchain worker node" in title
    assert any(u.endswith("/docs-assets/swagger-ui-bundle.js") for u in served)
    assert any(u.endswith("/docs-assets/swagger-ui.css") for u in served)
    assert any(u.endswith("/openapi.json") for u in served)
    assert any("/artifacts" in p for p in paths), paths
