"""A new artist's first visit, in a real browser on a phone and on a desktop: sign up, confirm the
email, fill in the profile, upload and crop an avatar and a banner, and look at the public page."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from atelier.accounts.models import ProfileImage, User
from tests.browser.crop_editor import CropEditor
from tests.browser.pictures import nearest_quadrant, quadrant_png

pytestmark = pytest.mark.browser

BIO = "I paint moody forests and lighthouses.\nPrints are in [my shop](https://shop.example.com/mira)."


def _signup(browser_page, handle: str) -> None:
    page = browser_page.page
    browser_page.goto("/")
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("01-home")

    page.get_by_role("link", name="Join").click()
    page.wait_for_url("**/accounts/signup/")
    browser_page.assert_no_horizontal_overflow()
    browser_page.assert_controls_named()
    page.get_by_label("Email").fill(f"{handle}@example.com")
    page.get_by_label("Handle").fill(handle)
    assert page.get_by_role("radio", name="Artist").is_checked()
    page.get_by_label("Password").fill("lanterns-over-the-harbour-42")
    browser_page.shot("02-signup")
    page.get_by_role("button", name="Create account").click()

    # The same answer whether or not the address has an account: the mail says which.
    page.wait_for_url("**/accounts/signup/sent/")
    expect(page.locator(".message-success").filter(has_text=f"We sent a message to {handle}@")).to_be_visible()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("03-check-your-email")


def _confirm_email(browser_page, handle: str) -> None:
    page = browser_page.page
    assert len(mail.outbox) == 1, [message.subject for message in mail.outbox]
    message = mail.outbox[0]
    assert message.to == [f"{handle}@example.com"]
    link = re.search(r"https?://\S+/accounts/verify/\S+/", message.body)
    assert link, message.body
    assert link.group().startswith(settings.SITE_URL)
    browser_page.goto(urlsplit(link.group()).path)

    # The link is a new account's first sign-in.
    page.wait_for_url("**/settings/profile/")
    expect(page.locator(".message-success").filter(has_text="Welcome to Atelier!")).to_be_visible()
    assert page.locator(".banner-notice").count() == 0
    browser_page.shot("04-email-confirmed")
    browser_page.goto("/settings/account/")
    expect(page.locator(".badge-green").filter(has_text="confirmed")).to_be_visible()
    assert User.objects.get(handle=handle).email_verified


def _fill_about(browser_page) -> None:
    page = browser_page.page
    page.get_by_label("Display name").fill("Mira Okafor")
    page.get_by_label("Headline").fill("Concept artist & illustrator")
    page.get_by_label("Bio").fill(BIO)
    page.get_by_label("Location").fill("Lisbon")
    page.get_by_label("Website").fill("https://mira.example.com")
    page.get_by_label("Skills").fill("environment design, matte painting, lighting")
    page.get_by_label("Software").fill("Procreate, Blender, Photoshop")
    page.get_by_label("Open to work").check()


def _crop_avatar(browser_page, tmp_path) -> dict:
    """Upload a 1600×1000 picture, shrink the square crop and move it into the yellow bottom-right."""
    touch = browser_page.viewport.touch
    browser_page.page.get_by_label(re.compile(r"^Avatar")).set_input_files(
        quadrant_png(tmp_path / "a.png", (1600, 1000))
    )
    avatar = CropEditor(browser_page, "avatar")
    default = avatar.wait_until_ready()
    # Cropper starts on the largest centred square: the full height, 1000 of 1600 wide.
    assert default == pytest.approx({"x": 0.1875, "y": 0.0, "width": 0.625, "height": 1.0}, abs=0.002)
    browser_page.shot("06-avatar-uploaded")

    avatar.shrink_from_top_left(0.6, touch=touch)
    avatar.move_to_corner("bottom-right", touch=touch)
    if touch:
        assert "touch" in browser_page.pointer_types, browser_page.pointer_types
    crop = avatar.crop()
    assert crop != default
    # Inside the bottom-right quadrant, against the image's right and bottom edges.
    assert crop["x"] >= 0.5 and crop["y"] >= 0.5, crop
    assert crop["x"] + crop["width"] == pytest.approx(1, abs=0.002)
    assert crop["y"] + crop["height"] == pytest.approx(1, abs=0.002)
    assert crop["width"] * 1600 == pytest.approx(crop["height"] * 1000, abs=2)  # still square
    browser_page.shot("07-avatar-cropped")
    return crop


def _crop_banner(browser_page, tmp_path) -> dict:
    """Upload a 1800×1200 picture and move the 3:1 crop from the middle to the top (red | green)."""
    browser_page.page.get_by_label(re.compile(r"^Banner")).set_input_files(
        quadrant_png(tmp_path / "b.png", (1800, 1200))
    )
    banner = CropEditor(browser_page, "banner")
    default = banner.wait_until_ready()
    assert default == pytest.approx({"x": 0.0, "y": 0.25, "width": 1.0, "height": 0.5}, abs=0.002)
    banner.move_to_corner("top", touch=False)  # the mouse works on the phone too (pointer events)
    crop = banner.crop()
    assert crop == pytest.approx({"x": 0.0, "y": 0.0, "width": 1.0, "height": 0.5}, abs=0.002)
    browser_page.shot("08-banner-cropped")
    return crop


def _check_public_profile(browser_page, handle: str) -> None:
    page = browser_page.page
    browser_page.goto(f"/@{handle}")
    browser_page.assert_no_horizontal_overflow()
    browser_page.assert_controls_named()
    avatar = page.locator(".profile-header img.avatar")
    banner = page.locator(".profile-banner img")
    browser_page.assert_image_loaded(avatar)
    browser_page.assert_image_loaded(banner)
    expect(page.get_by_role("heading", name="Mira Okafor")).to_be_visible()
    expect(page.get_by_text("Concept artist & illustrator")).to_be_visible()
    shop = page.locator(".prose a", has_text="my shop")
    assert shop.get_attribute("href") == "https://shop.example.com/mira"
    assert "nofollow" in shop.get_attribute("rel")
    expect(page.locator(".badges .badge-green", has_text="Open to work")).to_be_visible()
    expect(page.get_by_role("link", name="mira.example.com")).to_be_visible()
    assert page.locator(".chips li").all_inner_texts()[:3] == ["environment design", "matte painting", "lighting"]
    browser_page.shot("10-public-profile")

    # The pixels on screen come from the chosen crop, not the centre.
    page.evaluate("window.scrollTo(0, 0)")
    quadrant, distance = nearest_quadrant(avatar.screenshot())
    assert (quadrant, distance < 40) == ("bottom-right", True), (quadrant, distance)
    banner_png = banner.screenshot()
    assert nearest_quadrant(banner_png, (0.05, 0.2, 0.4, 0.8))[0] == "top-left"
    assert nearest_quadrant(banner_png, (0.6, 0.2, 0.95, 0.8))[0] == "top-right"


def test_sign_up_confirm_and_build_a_profile(browser_page, tmp_path, make_published_post):
    page = browser_page.page
    handle = f"mira_{browser_page.viewport.name}"
    _signup(browser_page, handle)
    _confirm_email(browser_page, handle)

    browser_page.goto("/settings/profile/")
    browser_page.assert_no_horizontal_overflow()
    browser_page.assert_controls_named()
    _fill_about(browser_page)
    browser_page.shot("05-profile-form")
    avatar_crop = _crop_avatar(browser_page, tmp_path)
    banner_crop = _crop_banner(browser_page, tmp_path)
    with page.expect_navigation():
        page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".message-success").filter(has_text="Profile saved.")).to_be_visible()
    browser_page.assert_image_loaded(page.get_by_alt_text("Current avatar"))
    browser_page.assert_image_loaded(page.get_by_alt_text("Current banner"))
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("09-profile-saved")

    images = {image.kind: image for image in ProfileImage.objects.filter(profile__user__handle=handle)}
    assert images["avatar"].crop == pytest.approx(avatar_crop, abs=1e-6)
    assert images["banner"].crop == pytest.approx(banner_crop, abs=1e-6)
    assert images["avatar"].state == images["banner"].state == "ready"

    _check_public_profile(browser_page, handle)
    # Visitors' home page lists the newest artists with public work (signed in, "/" is the person's
    # own feed): not yet Mira, who has posted nothing; once she has, her card.
    visitor = page.context.browser.new_context(
        base_url=browser_page.origin, **browser_page.viewport.context_options()
    ).new_page()
    visitor.goto("/")
    expect(visitor.locator(".profile-card", has_text="Mira Okafor")).to_have_count(0)
    make_published_post(User.objects.get(handle=handle), title="First light")
    visitor.goto("/")
    expect(visitor.locator(".profile-card", has_text="Mira Okafor")).to_be_visible()
    visitor.screenshot(path=browser_page.artifacts / "11-home-with-card.png", full_page=True)
    visitor.context.close()

    page.emulate_media(color_scheme="dark")
    browser_page.goto(f"/@{handle}")
    browser_page.shot("12-public-profile-dark")
    browser_page.goto("/settings/profile/")
    browser_page.shot("13-profile-form-dark")
    browser_page.assert_clean_console()
