"""Art theft in real browsers: artist B uploads a cropped, mirrored copy of artist A's public work
through the composer. B's post says "Held for review — looks like a work already posted by someone
else"; A finds the notification, opens the reposts page and confirms ("that's mine, not theirs"); the
moderator signs in with a second factor, sees both works side by side in the case, and takes the
copy down. Screenshots at phone and desktop width (docs/screens/repost-*.png)."""

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from PIL import ImageOps
from playwright.sync_api import expect

from atelier.posts import services
from atelier.posts.models import Post, PostState
from atelier.protection.theft.models import MatchStatus, RepostMatch
from tests.browser.conftest import ARTIFACTS
from tests.browser.staff import log_in_with_second_factor
from tests.browser.support import DESKTOP, PHONE, open_page
from tests.browser.test_social_journey import _log_in
from tests.theft.test_reposts import ARTWORK, encoded

pytestmark = pytest.mark.browser
STEPS = ARTIFACTS / "both" / "repost_journey"
SCREENS = Path(settings.BASE_DIR) / "docs" / "screens"


def _public_work(author, title: str) -> Post:
    """A's work, published through the services (tasks run inline: the post is public on return)."""
    draft = services.post_create_draft(author=author)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "astronaut.png")
        path.write_bytes(encoded(ARTWORK))
        services.media_add_file(post=draft, user=author, path=path)
    services.post_update_details(
        post=draft, user=author, title=title, description="", medium="", category="", tags=[], software=[],
        is_mature=False, made_with_ai=False,
    )  # fmt: skip
    services.post_publish(post=draft, user=author)
    draft.refresh_from_db()
    return draft


def _keep(browser, name: str) -> None:
    shot = browser.shot(name)
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENS / f"repost-{name}.png")


def test_a_cropped_mirrored_copy_is_held_confirmed_and_taken_down(chromium, live_server, make_user, tmp_path):
    artist, thief, moderator = make_user("ines_paints"), make_user("bram_copies"), make_user("mira_moderates")
    moderator.user_permissions.add(Permission.objects.get(codename="review_case"))
    original = _public_work(artist, "Astronaut, ink and wash")
    assert original.state == PostState.PUBLIC

    # 1. B (phone) uploads a cropped, mirrored copy through the composer and publishes it.
    copy_path = tmp_path / "my-astronaut.jpg"
    copy_path.write_bytes(encoded(ImageOps.mirror(ARTWORK.crop((10, 6, 506, 508))), "JPEG", quality=82))
    phone = open_page(chromium, live_server.url, PHONE, STEPS / "phone-uploader", timeout_ms=20_000)
    page = phone.page
    _log_in(phone, thief.handle)
    phone.goto(f"/@{thief.handle}")
    page.get_by_role("button", name="New post").first.click()
    page.wait_for_url(re.compile(r"/posts/\d+/edit$"))
    page.get_by_label("Add files").set_input_files([copy_path])
    expect(page.locator(".media-item.state-ready")).to_have_count(1, timeout=30_000)
    page.get_by_label("Title").fill("My astronaut")
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    copy = Post.objects.get(title="My astronaut")
    assert copy.state == PostState.HELD
    expect(page.locator(".post-held")).to_contain_text(
        "Held for review — looks like a work already posted by someone else"
    )
    phone.assert_no_horizontal_overflow()
    _keep(phone, "phone-uploader-held")

    # 2. A (desktop) has a notification, opens the reposts page and confirms.
    desk = open_page(chromium, live_server.url, DESKTOP, STEPS / "desktop-artist", timeout_ms=20_000)
    _log_in(desk, artist.handle)
    desk.goto("/notifications/")
    line = desk.page.get_by_text("looks like your work “Astronaut, ink and wash”")
    expect(line).to_be_visible()
    _keep(desk, "desktop-artist-notified")
    with desk.page.expect_navigation():
        line.click()
    expect(desk.page.get_by_role("heading", name="Possible reposts of your work")).to_be_visible()
    with desk.page.expect_navigation():
        desk.page.get_by_role("button", name="That's mine, not theirs").click()
    expect(desk.page.locator(".repost-match")).to_contain_text("confirmed it is their work")
    assert RepostMatch.objects.get(post=copy).status == MatchStatus.CONFIRMED
    _keep(desk, "desktop-artist-confirmed")

    # 3. The moderator sees both works side by side (desktop, and the same page at phone width)
    #    and takes the copy down.
    staff = open_page(chromium, live_server.url, DESKTOP, STEPS / "desktop-moderator", timeout_ms=20_000)
    log_in_with_second_factor(staff, moderator)
    staff.goto("/moderation/")
    staff.page.get_by_role("link", name=re.compile("My astronaut")).first.click()
    pair = staff.page.locator('[data-testid="repost-pair"]')
    expect(pair).to_have_count(1)
    for image in pair.locator("img").all():
        staff.assert_image_loaded(image)
    expect(pair).to_contain_text("confirmed it is their work")
    _keep(staff, "desktop-moderator-side-by-side")
    staff.page.set_viewport_size({"width": PHONE.width, "height": PHONE.height})
    staff.assert_no_horizontal_overflow()
    _keep(staff, "phone-moderator-side-by-side")
    staff.page.set_viewport_size({"width": DESKTOP.width, "height": DESKTOP.height})
    staff.page.get_by_label("Take down: a repost of someone else's work").check()
    staff.page.get_by_label("Why (the author reads this)").fill("A repost of @ines_paints's Astronaut.")
    with staff.page.expect_navigation():
        staff.page.get_by_role("button", name="Save decision").click()
    staff.page.context.close()
    copy.refresh_from_db()
    original.refresh_from_db()
    assert (copy.state, original.state) == (PostState.TAKEN_DOWN, PostState.PUBLIC)
    for browser in (phone, desk):
        browser.page.context.close()
