"""An artist leaves Instagram: on a phone she uploads her archive, sees the preview, unticks two posts,
starts the import, reloads while it runs (the progress carries on) and finds her portfolio filled
with the old dates; then on a desktop she requests an export and opens its index.html offline.

The import and the export run on a real Celery worker (in a thread of the test process, consuming
the test broker), not eagerly inside the request: that is what makes "reload while it runs" real.
"""

import datetime as dt
import re
import zipfile

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from atelier.portability.models import ArchiveImport, ImportState
from atelier.posts.models import Post, PostState
from config.celery import app as celery_app
from tests.browser.conftest import ARTIFACTS
from tests.browser.support import DESKTOP, PHONE, open_page
from tests.conftest import TEST_PASSWORD
from tests.portability.archive_files import IgPost, picture, write_instagram

pytestmark = pytest.mark.browser

COLOURS = [(200, 60, 40), (40, 120, 200), (60, 160, 90), (220, 180, 40), (120, 60, 160), (30, 30, 30)]


def _archive(path) -> list[IgPost]:
    posts = [
        IgPost(
            [(f"media/posts/2019{month:02d}/p{month}.jpg", picture(colour=COLOURS[month % 6], mark=month))],
            f"Harbour study nº {month} ☕ #harbour #ink",
            int(dt.datetime(2019, month, 14, 12, tzinfo=dt.UTC).timestamp()),
        )
        for month in range(1, 9)
    ]
    posts.append(
        IgPost(
            [("media/posts/201712/c1.jpg", picture(mark=20)), ("media/posts/201712/c2.webp", picture("WEBP", mark=21))],
            "Winter carousel #sketchbook",
            int(dt.datetime(2017, 12, 24, 9, tzinfo=dt.UTC).timestamp()),
        )
    )
    write_instagram(path, posts, message_threads=4)
    return posts


def _log_in(browser_page, handle: str) -> None:
    page = browser_page.page
    browser_page.goto("/accounts/login/")
    page.get_by_label("Email or handle").fill(handle)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$|/@"))


@pytest.fixture
def not_eager():
    """Tasks go to the test broker instead of running inside the request."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def _worker():
    return start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        queues=["default", "media", "detection", "email"],
        shutdown_timeout=30,
    )


def test_import_on_a_phone_then_export_on_a_desktop(chromium, live_server, make_user, tmp_path, not_eager):
    user = make_user("lena_leaves")
    archive = tmp_path / "instagram-lena.zip"
    _archive(archive)

    phone = open_page(chromium, live_server.url, PHONE, _artifacts("phone"), timeout_ms=20_000)
    page = phone.page
    _log_in(phone, user.handle)
    phone.goto("/settings/portability/")
    phone.shot("01-import-and-export")
    page.get_by_label("Archive (ZIP)").set_input_files(str(archive))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="What we found in your Instagram archive")).to_be_visible()
    expect(page.locator(".import-counts tbody tr")).to_have_count(2)  # 2019 and 2017
    expect(page.get_by_text("4 message threads")).to_be_visible()
    phone.assert_image_loaded(page.locator(".import-thumb img").first)
    phone.assert_no_horizontal_overflow()
    phone.assert_controls_named()
    phone.shot("02-preview")

    page.get_by_label(re.compile("Harbour study nº 2 ")).uncheck()
    page.get_by_label(re.compile("Harbour study nº 5 ")).uncheck()
    page.get_by_role("button", name="Start the import").click()
    expect(page.locator("#import-progress")).to_contain_text("0 of 7")
    phone.shot("03-importing")
    page.reload()  # nothing lost: the import is a row and a queued task, not the page
    expect(page.locator("#import-progress")).to_contain_text("Importing")
    run = ArchiveImport.objects.get(owner=user)
    assert run.state == ImportState.IMPORTING and run.total == 7

    with _worker():
        # The same page, polling: the bar moves and the import ends without another reload.
        expect(page.locator("#import-progress")).to_contain_text("Done.", timeout=120_000)
        expect(page.locator("#import-progress")).to_contain_text("7 imported")
        phone.shot("04-done")
        titles = set(Post.objects.filter(author=user).values_list("title", flat=True))
        assert "Harbour study nº 2 ☕" not in titles and "Harbour study nº 5 ☕" not in titles and len(titles) == 7
        carousel = Post.objects.get(author=user, title="Winter carousel")
        assert carousel.published_at == dt.datetime(2017, 12, 24, 9, tzinfo=dt.UTC)

        # Renditions and detection run on the same worker after the import: wait for the covers.
        for _ in range(180):
            built = Post.objects.filter(author=user, state=PostState.PUBLIC).exclude(covers={}).count()
            if built == 7:
                break
            page.wait_for_timeout(1000)
        assert built == 7
        page.get_by_role("link", name="See your portfolio").click()
        expect(page.get_by_text("Winter carousel")).to_be_visible()
        phone.assert_image_loaded(page.locator(".post-card img").first)
        phone.assert_no_horizontal_overflow()
        phone.shot("05-portfolio")
        page.goto(carousel.get_absolute_url())
        expect(page.locator("body")).to_contain_text("2017")
        phone.shot("06-old-post")
        phone.assert_clean_console()

        desktop = open_page(chromium, live_server.url, DESKTOP, _artifacts("desktop"), timeout_ms=20_000)
        _log_in(desktop, user.handle)
        desktop.goto(user.get_absolute_url())
        desktop.shot("01-portfolio")
        desktop.goto("/settings/portability/")
        desktop.page.get_by_role("button", name="Request an export").click()
        expect(desktop.page.get_by_text("Your export is being prepared")).to_be_visible()
        link = desktop.page.locator(".export-link")
        for _ in range(60):
            if link.count():
                break
            desktop.page.wait_for_timeout(1000)  # the worker is building the ZIP: look again
            desktop.page.reload()
        expect(link).to_be_visible()
        desktop.shot("02-export-ready")
        with desktop.page.expect_download() as download:
            link.click()
        saved = tmp_path / "export.zip"
        download.value.save_as(saved)
        desktop.assert_clean_console()

    offline = tmp_path / "offline"
    with zipfile.ZipFile(saved) as export:
        export.extractall(offline)  # our own export, unpacked by the test to open it as a person would
    for viewport, browser_page in (("desktop", desktop), ("phone", phone)):
        browser_page.page.goto((offline / "index.html").as_uri())
        expect(browser_page.page.get_by_role("heading", name="Winter carousel")).to_be_visible()
        images = browser_page.page.locator("article img")
        assert images.count() == 8  # 7 posts, one of them a carousel of 2
        for index in range(images.count()):
            browser_page.assert_image_loaded(images.nth(index))
        browser_page.shot(f"offline-index-{viewport}")


def _artifacts(viewport: str):
    return ARTIFACTS / viewport / "portability_journey"
