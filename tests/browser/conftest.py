"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

No browser is downloaded: the tests use /usr/bin/chromium. Without it they skip locally and fail
in CI (CI=true), so a broken CI image cannot pass by skipping every browser test.
"""

import os
from pathlib import Path

import pytest

from tests.browser.support import DESKTOP, PHONE, BrowserPage, Viewport

# Playwright's sync API keeps an asyncio loop running in this thread; without this Django refuses
# ORM calls from the test (and from the live server's handlers) as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run; each test gets its own context (cookies, viewport)."""
    if not CHROMIUM.exists():
        message = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)."
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} Browser tests must run in CI.", pytrace=False)
        pytest.skip(f"{message} Skipping the browser tests locally.")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(params=[PHONE, DESKTOP], ids=lambda viewport: viewport.name)
def viewport(request) -> Viewport:
    return request.param


@pytest.fixture
def browser_page(chromium, live_server, viewport):
    """A fresh page at the viewport, recording console errors and CSP violations, saving screenshots."""
    context = chromium.new_context(base_url=live_server.url, color_scheme="light", **viewport.context_options())
    context.set_default_timeout(10_000)
    page = context.new_page()
    browser_page = BrowserPage(page=page, viewport=viewport, artifacts=ARTIFACTS / viewport.name)
    yield browser_page
    context.close()
