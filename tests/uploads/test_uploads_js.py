"""uploads.js with tus-js-client in Debian's Chromium against the live server (CSP and CSRF as served)."""

from dataclasses import dataclass, field

import numpy as np
import pytest
from django.conf import settings
from django.db import connection
from django.templatetags.static import static
from django.test import Client

from atelier.uploads.services import upload_open_completed
from tests.uploads.conftest import sha256

pytestmark = pytest.mark.browser

MB = 1024 * 1024

START_UPLOAD = """
async ({size, type}) => {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + 3) & 255;
  const file = new File([bytes], "big canvas.png", {type});
  return await new Promise((resolve) => {
    const fractions = [];
    window.AtelierUploads.start(file, {
      onProgress: (fraction) => fractions.push(fraction),
      onSuccess: (uploadId) => resolve({uploadId, fractions}),
      onError: (message) => resolve({error: message}),
    });
  });
}
"""


@dataclass
class UploadPage:
    page: object
    user: object
    patches: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def start_upload(self, *, size: int, content_type: str) -> dict:
        return self.page.evaluate(START_UPLOAD, {"size": size, "type": content_type})


def expected_bytes(size: int) -> bytes:
    return ((np.arange(size, dtype=np.int64) * 7 + 3) & 255).astype(np.uint8).tobytes()


@pytest.fixture
def page(transactional_db, live_server, make_user, chromium):
    user = make_user("browser")
    client = Client()
    client.force_login(user)
    context = chromium.new_context(base_url=live_server.url)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    tab = UploadPage(page=context.new_page(), user=user)
    tab.page.on("console", lambda message: message.type == "error" and tab.console_errors.append(message.text))
    tab.page.on("request", lambda request: request.method == "PATCH" and tab.patches.append(request.url))
    tab.page.goto("/")  # a real page: its CSP applies, and it sets the csrftoken cookie
    tab.page.add_script_tag(url=static("vendor/tus-js-client/tus.min.js"))
    tab.page.add_script_tag(url=static("js/uploads.js"))
    yield tab
    context.close()


def test_a_25_mb_file_goes_in_two_chunks_with_progress_and_arrives_whole(page):
    size = 25 * MB

    result = page.start_upload(size=size, content_type="image/png")

    assert "error" not in result, result
    assert len(page.patches) == 2  # 20 MB, then 5 MB
    assert result["fractions"][-1] == 1
    assert result["fractions"] == sorted(result["fractions"])
    try:
        with upload_open_completed(upload_id=result["uploadId"], user=page.user) as local:
            assert sha256(local.read()) == sha256(expected_bytes(size))
    finally:
        # Code between Playwright calls runs in its own context, so it got its own database
        # connection; close it, or the test database cannot be dropped at the end of the run.
        connection.close()
    assert page.console_errors == []


def test_the_servers_refusal_is_what_the_person_sees(page, settings):
    settings.UPLOAD_IMAGE_MAX_BYTES = 1 * MB

    result = page.start_upload(size=2 * MB, content_type="image/png")

    assert result == {"error": "This image is 2 MB; images can be at most 1 MB."}
    assert page.patches == []
