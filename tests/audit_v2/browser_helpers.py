"""Headless chromium for the explorer's page tests (as test_explorer_browser.py launches it), table cells read from
the DOM, and screenshots kept for a reviewer (tests/screenshots.py; a few also in /tmp/explorer-shots)."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))  # tests/screenshots.py

from screenshots import save_screenshot  # noqa: E402,F401

CHROMIUM = Path(os.environ.get("GRADCHAIN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
LEAD_SHOTS = Path("/tmp/explorer-shots")


def require_chromium():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is installed by scripts/setup.sh")
    if not CHROMIUM.exists():
        pytest.skip(f"no chromium at {CHROMIUM}: scripts/setup.sh installs Debian's chromium", allow_module_level=True)
    return sync_api


@contextmanager
def browser_page(sync_api):
    """A page whose `requests` lists every URL it asked for."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.requests = []
        page.on("request", lambda r: page.requests.append(r.url))
        try:
            yield page
        finally:
            browser.close()


def cells(page, table: str) -> list[list[str]]:
    return page.eval_on_selector_all(f"table#{table} tbody tr:not(.empty)",
                                     "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def hrefs(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "as => as.map(a => a.getAttribute('href'))")
