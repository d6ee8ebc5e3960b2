"""A refusal the front end causes shows a message, not a broken editor: when the composer's
thumbnails or a crop editor's picture are refused, the artist reads why and gets a retry.

The app itself can no longer refuse an artist her own files by a budget (tests/shield/
test_budgets_per_identity.py); what still can: a browser check that expired (403, real here: the
pass is dropped from the browser), and the edge's per-pass budget on /media/ (nginx's 429 with
Retry-After, played here by a route answering as nginx does, since this test runs no nginx)."""

import time

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from atelier.posts import services as post_services
from atelier.protection.shield.passes import PASS_COOKIE, mint_pass
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import add_file

pytestmark = pytest.mark.browser


@pytest.fixture
def check_on(settings):
    settings.SHIELD_CHALLENGE_BITS = 8  # the real check, small enough to solve at once


@pytest.fixture
def draft(make_user, django_capture_on_commit_callbacks):
    artist = make_user("nadia_inks")
    post = post_services.post_create_draft(author=artist)
    for size in ((1200, 800), (800, 1200)):
        add_file(post, quadrant_bytes(size=size), capture=django_capture_on_commit_callbacks)
    return artist, post


def _sign_in_with_a_pass(page, base_url: str, artist) -> None:
    """A browser that already holds a session and the day's pass, both as the server makes them."""
    client = Client()
    client.force_login(artist)
    agent = page.evaluate("navigator.userAgent")
    value, _ = mint_pass(address="127.0.0.1", user_agent=agent, now=time.time())
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url},
            {"name": PASS_COOKIE, "value": value, "url": base_url},
        ]
    )


def test_refused_thumbnails_and_crop_pictures_say_why_and_retry(browser_page, live_server, check_on, draft):
    page = browser_page.page
    artist, post = draft
    _sign_in_with_a_pass(page, live_server.url, artist)
    composer = f"/posts/{post.pk}/edit"
    browser_page.goto(composer)
    thumbnail_editor = page.locator('.crop-editor[data-kind="thumbnail"]')
    expect(page.locator(".media-item.state-ready")).to_have_count(2)
    expect(thumbnail_editor.locator(".cropper-container")).to_be_visible()

    # The pass expires (or is lost) while she works: the crop editor's next picture is refused (403).
    page.context.clear_cookies(name=PASS_COOKIE)
    thumbnail_editor.locator(".crop-item-select").select_option(index=1)
    crop_note = thumbnail_editor.locator(".image-refusal")
    expect(crop_note).to_contain_text("the browser check may have expired")
    browser_page.shot("01-check-expired-note")
    browser_page.assert_no_horizontal_overflow()

    # "Reload the page": the check runs again, earns a new pass, and the composer is whole again.
    crop_note.get_by_role("button", name="Reload the page").click()
    page.wait_for_url(f"**{composer}", timeout=30_000)
    expect(page.locator(".media-item.state-ready")).to_have_count(2)
    expect(page.locator(".image-refusal")).to_have_count(0)
    expect(thumbnail_editor.locator(".cropper-container")).to_be_visible()

    # The edge's per-pass budget answers 429 with Retry-After: thumbnails and editors say so and
    # retry by themselves once the wait is over.
    answered = []

    def edge_budget(route):
        if "retry=" in route.request.url:  # the retry, after Retry-After: the window has room again
            route.continue_()
            return
        answered.append(route.request.url)  # each picture, and the question about it
        route.fulfill(status=429, headers={"Retry-After": "2"}, body="Too many requests.\n")

    page.route("**/files/**", edge_budget)
    page.get_by_role("button", name="Move item 1 down").click()  # the list re-renders its thumbnails
    thumbnail_notes = page.locator(".media-item .image-refusal")
    expect(thumbnail_notes).to_have_count(2)
    expect(thumbnail_notes.first).to_contain_text("Trying again in 2 s")
    cover_editor = page.locator('.crop-editor[data-kind="cover"]')
    cover_editor.locator(".crop-item-select").select_option(index=1)
    expect(cover_editor.locator(".crop-stage + .image-refusal")).to_contain_text("Trying again in 2 s")
    browser_page.shot("02-budget-note")
    expect(page.locator(".image-refusal")).to_have_count(0, timeout=10_000)
    expect(cover_editor.locator(".cropper-container")).to_be_visible()
    for thumbnail in page.locator(".media-thumb img").all():
        browser_page.assert_image_loaded(thumbnail)
    assert len(answered) >= 6  # two thumbnails and a picture, each asked twice
