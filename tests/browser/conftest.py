"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

No browser is downloaded: the tests use /usr/bin/chromium. Without it they skip locally and fail
in CI (CI=true), so a broken CI image cannot pass by skipping every browser test.
"""

import os
from pathlib import Path

import pytest

from tests.browser.support import DESKTOP, PHONE, BrowserPage, Viewport

# bin/test runs its two halves at once: the embedded-default half's few journeys keep their own folder.
_FOLDER = "browser-embedded" if os.environ.get("ATELIER_TEST_HALF") == "embedded" else "browser"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / _FOLDER


@pytest.fixture(params=[PHONE, DESKTOP], ids=lambda viewport: viewport.name)
def viewport(request) -> Viewport:
    return request.param


@pytest.fixture
def browser_page(chromium, live_server, viewport, request):
    """A fresh page at the viewport, recording console errors and CSP violations, saving screenshots."""
    context = chromium.new_context(base_url=live_server.url, color_scheme="light", **viewport.context_options())
    context.set_default_timeout(10_000)
    page = context.new_page()
    artifacts = ARTIFACTS / viewport.name / request.node.originalname.removeprefix("test_")
    browser_page = BrowserPage(page=page, viewport=viewport, artifacts=artifacts)
    yield browser_page
    context.close()
