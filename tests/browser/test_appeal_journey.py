"""An artist's work is wrongly held and put right, in real browsers: an upload carrying Automatic1111
settings is held with the reason in plain words (phone); the artist appeals with a work-in-progress
image; a moderator weighs the evidence and the proof and approves (desktop); the work appears in
Discover for everyone and the artist is told."""

import re
import time

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from atelier.accounts.mfa import totp
from atelier.moderation.models import CaseStatus, ReviewCase
from atelier.posts.models import Post
from tests.browser.conftest import ARTIFACTS
from tests.browser.pictures import quadrant_png
from tests.browser.support import DESKTOP, PHONE, BrowserPage, open_page
from tests.browser.test_social_journey import _log_in
from tests.conftest import enrol_authenticator
from tests.detection.test_provenance import A1111

pytestmark = pytest.mark.browser
STEPS = ARTIFACTS / "both" / "appeal_journey"


def _open(chromium, live_server, viewport, name: str) -> BrowserPage:
    return open_page(chromium, live_server.url, viewport, STEPS / name, timeout_ms=15_000)


def _a1111_png(path):
    from PIL import Image, PngImagePlugin

    quadrant_png(path, (1200, 800))
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    with Image.open(path) as image:
        image.load()
        image.save(path, "PNG", pnginfo=info)
    return path


def test_held_appealed_approved_and_shown(chromium, live_server, make_user, tmp_path):
    artist = make_user("wren_paints")
    moderator = make_user("mod_ada")
    moderator.is_staff = True
    moderator.save(update_fields=["is_staff"])
    moderator.user_permissions.add(Permission.objects.get(codename="review_case"))
    secret = enrol_authenticator(moderator)

    # 1. The artist publishes a PNG that carries Automatic1111's generation settings (phone).
    phone = _open(chromium, live_server, PHONE, "phone-artist")
    page = phone.page
    _log_in(phone, artist.handle)
    phone.goto(f"/@{artist.handle}")
    page.get_by_role("button", name="New post").first.click()
    page.wait_for_url(re.compile(r"/posts/\d+/edit$"))
    page.get_by_label("Add files").set_input_files([_a1111_png(tmp_path / "lighthouse.png")])
    expect(page.locator(".media-item.state-ready")).to_have_count(1, timeout=30_000)
    page.get_by_label("Title").fill("Lighthouse at dusk")
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    post = Post.objects.get(author=artist)
    assert post.is_held

    # 2. Held, with the reason in plain words and a way to appeal.
    expect(page.locator(".post-held")).to_contain_text("generation settings of Automatic1111")
    expect(page.locator("#review")).to_contain_text("Waiting for a moderator")
    phone.assert_no_horizontal_overflow()
    phone.shot("01-held")
    page.get_by_role("link", name="Appeal").click()
    page.get_by_label("How did you make this work?").fill("Sketched in Krita, flats, then painted over two evenings.")
    page.get_by_label("Process proof (optional)").set_input_files([quadrant_png(tmp_path / "wip.png", (800, 600))])
    phone.assert_controls_named()
    phone.shot("02-appeal-form")
    with page.expect_navigation():
        page.get_by_role("button", name="Send appeal").click()
    expect(page.locator("#review")).to_contain_text("You appealed on")
    phone.shot("03-appealed")
    phone.assert_clean_console()

    # 3. The moderator sees the appeal first, the evidence and the proof, and approves (desktop).
    desk = _open(chromium, live_server, DESKTOP, "desktop-moderator")
    mod = desk.page
    _log_in(desk, moderator.handle)
    # Moderators pass a second factor before the queue: the code their authenticator app shows.
    expect(mod).to_have_url(re.compile(r"/accounts/login/second-factor/$"))
    mod.get_by_label("Code from your authenticator app").fill(totp.code_for_step(secret, totp.step_at(time.time()) + 1))
    with mod.expect_navigation():
        mod.get_by_role("button", name="Continue").click()
    desk.goto("/moderation/")
    row = mod.locator(".case-row").first
    expect(row).to_contain_text("Lighthouse at dusk")
    expect(row).to_contain_text("Appealed")
    desk.shot("04-queue")
    row.get_by_role("link").click()
    expect(mod.locator(".evidence-table")).to_contain_text("PNG text chunk `parameters` written by Automatic1111")
    # The generation settings are the hit; the classifier's own row may be one too, by host CPU (its
    # int8 encoder scores this flat picture 0.955 on an AVX2-only host, lower elsewhere).
    expect(mod.locator(".evidence-hit").filter(has_text="PNG text")).to_have_count(1)
    desk.assert_image_loaded(mod.locator(".proof-image"))
    desk.assert_controls_named()
    mod.get_by_label("Approve: human-made, publish").check()
    mod.get_by_label("Why (the author reads this)").fill("The work-in-progress shows the sketch and the flats.")
    desk.shot("05-case")
    with mod.expect_navigation():
        mod.get_by_role("button", name="Save decision").click()
    expect(mod.locator(".message-success")).to_contain_text("the author has been told")
    assert ReviewCase.objects.get(post=post).status == CaseStatus.APPROVED
    desk.assert_clean_console()

    # 4. Everyone sees it in Discover now; the artist is told.
    visitor = _open(chromium, live_server, DESKTOP, "desktop-visitor")
    visitor.goto("/feed/discover/")
    expect(visitor.page.locator(".post-card", has_text="Lighthouse at dusk")).to_have_count(1)
    visitor.shot("06-discover")
    phone.goto("/notifications/")
    expect(page.locator(".notification").first).to_contain_text("approved “Lighthouse at dusk” as human-made")
    phone.shot("07-notified")
    for browser in (phone, desk, visitor):
        browser.page.context.close()
