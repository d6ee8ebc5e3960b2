"""Nothing is public before its AI verdict, in real browsers: an artist publishes a PNG whose chunk names
a generator and a clean one, in two posts, while the detection worker is busy. Both show "Checking your
work…"; when the worker gets to them, the first turns "Held for review" on its own (the banner polls)
and its image URL answers 404 in a second, anonymous browser; the second goes public; a follower sees
only the second in Following.

The detection queue is played by the test (the worker is "busy" until the test runs the queued task
with Celery's own `apply`): every line of detection, visibility and the files step runs for real."""

import re

import pytest
from playwright.sync_api import expect

from atelier.media.storages import public_storage
from atelier.posts.files import post_file_names
from atelier.posts.models import Post, PostState
from atelier.protection.detection import tasks as detection_tasks
from atelier.social.models import Follow
from tests.browser.conftest import ARTIFACTS
from tests.browser.pictures import quadrant_png
from tests.browser.support import DESKTOP, PHONE, BrowserPage, open_page
from tests.browser.test_appeal_journey import _a1111_png
from tests.browser.test_social_journey import _log_in

pytestmark = pytest.mark.browser
STEPS = ARTIFACTS / "both" / "verdict_gate_journey"


class BusyDetectionQueue:
    """Stands in for the broker of the `detection` queue: tasks wait here until the test, playing the
    worker, runs them (the real task, through Celery's `apply`)."""

    def __init__(self):
        self.waiting: list[int] = []

    def delay(self, item_id: int):
        self.waiting.append(item_id)

    def run_all(self) -> None:
        while self.waiting:
            detection_tasks.detect_media_item.apply(args=[self.waiting.pop(0)])


def _open(chromium, live_server, viewport, name: str) -> BrowserPage:
    return open_page(chromium, live_server.url, viewport, STEPS / name, timeout_ms=15_000)


def _publish(browser: BrowserPage, handle: str, path, title: str) -> Post:
    page = browser.page
    browser.goto(f"/@{handle}")
    page.get_by_role("button", name="New post").first.click()
    page.wait_for_url(re.compile(r"/posts/\d+/edit$"))
    page.get_by_label("Add files").set_input_files([path])
    expect(page.locator(".media-item.state-ready")).to_have_count(1, timeout=30_000)
    page.get_by_label("Title").fill(title)
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    return Post.objects.get(title=title)


def test_checking_then_held_or_public_and_only_the_clean_one_is_followed(
    chromium, live_server, make_user, tmp_path, monkeypatch
):
    queue = BusyDetectionQueue()
    monkeypatch.setattr(detection_tasks.detect_media_item, "delay", queue.delay)
    artist, follower = make_user("wren_paints"), make_user("fen_follows")
    Follow.objects.create(follower=follower, followee=artist)

    # 1. The artist publishes both while the detector is busy: each says "Checking your work…" (phone).
    phone = _open(chromium, live_server, PHONE, "phone-artist")
    page = phone.page
    _log_in(phone, artist.handle)
    generated = _publish(phone, artist.handle, _a1111_png(tmp_path / "lighthouse.png"), "Lighthouse at dusk")
    assert generated.state == PostState.CHECKING
    banner = page.locator("#post-visibility")
    expect(banner).to_contain_text("Checking your work…")
    phone.assert_no_horizontal_overflow()
    phone.shot("01-checking")
    clean = _publish(phone, artist.handle, quadrant_png(tmp_path / "harbour.png", (1200, 800)), "Harbour by hand")
    assert clean.state == PostState.CHECKING
    expect(banner).to_contain_text("Checking your work…")

    # 2. The worker gets to them: the clean one goes public; the generated one, open in the artist's
    #    browser, turns "Held for review" without a reload (the banner polls while checking).
    queue.run_all()
    clean.refresh_from_db()
    assert clean.state == PostState.PUBLIC
    expect(banner).to_contain_text("Your post is public.", timeout=15_000)
    phone.goto(generated.get_absolute_url())
    generated.refresh_from_db()
    assert generated.state == PostState.HELD
    expect(page.locator(".post-held")).to_contain_text("Held for review")
    expect(page.locator(".post-held")).to_contain_text("generation settings of Automatic1111")
    author_image = page.locator(".post-items img").first
    phone.assert_image_loaded(author_image)  # its author still sees it (served privately)
    phone.shot("02-held")
    phone.assert_clean_console()

    # 3. A second, anonymous browser: the held post's page and every image URL answer 404.
    visitor = _open(chromium, live_server, DESKTOP, "desktop-visitor")
    urls = [public_storage().url(name) for name in post_file_names(generated)]
    urls.append(author_image.get_attribute("src"))
    for url in urls:
        assert visitor.page.request.get(live_server.url + url).status == 404, url
    response = visitor.page.goto(live_server.url + generated.get_absolute_url())
    assert response.status == 404
    visitor.shot("04-held-post-404")
    clean_url = public_storage().url(post_file_names(clean)[0])
    assert visitor.page.request.get(live_server.url + clean_url).status == 200

    # 4. The follower's Following feed has the clean work only (desktop).
    desk = _open(chromium, live_server, DESKTOP, "desktop-follower")
    _log_in(desk, follower.handle)
    desk.goto("/feed/following/")
    cards = desk.page.locator(".post-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Harbour by hand")
    desk.assert_image_loaded(cards.first.locator("img").first)
    desk.shot("03-following")
    desk.assert_clean_console()
    for browser in (phone, visitor, desk):
        browser.page.context.close()
