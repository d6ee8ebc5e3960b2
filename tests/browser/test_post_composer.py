"""An artist composes a post in a real browser, on a phone and on a desktop: three pictures and an
animated GIF uploaded through the resumable client with progress bars, a Sketchfab link, a chosen
thumbnail and cover crop, then publishing, the profile grid and the post page."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from atelier.media.models import MediaKind
from atelier.media.storages import public_storage
from atelier.posts.models import Post
from tests.browser.crop_editor import CropEditor
from tests.browser.pictures import nearest_quadrant, quadrant_png
from tests.conftest import TEST_PASSWORD

# The artist's own loop also runs on the embedded default, as bin/serve serves it (tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.embedded_too]

SKETCHFAB_URL = "https://sketchfab.com/3d-models/old-ferryman-0123456789abcdef0123456789abcdef"
# What the Sketchfab player would show: served by the test, so nothing leaves the machine.
PLAYER_STAND_IN = "<!doctype html><title>Sketchfab player</title><p>3D viewer stand-in</p>"


def _animated_gif(path, frames: int = 8):
    pictures = []
    for frame in range(frames):
        picture = Image.new("RGB", (320, 200), (30, 30, 60))
        picture.paste((240, 200, 40), (frame * 30, 60, frame * 30 + 60, 140))
        pictures.append(picture.convert("P", palette=Image.Palette.ADAPTIVE))
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=80, loop=0)
    return path


def _log_in(browser_page, handle: str) -> None:
    page = browser_page.page
    browser_page.goto("/accounts/login/")
    page.get_by_label("Email or handle").fill(handle)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$|/@"))


def _upload(browser_page, tmp_path) -> None:
    page = browser_page.page
    files = [
        quadrant_png(tmp_path / "harbour.png", (1600, 1000)),
        quadrant_png(tmp_path / "market.png", (1200, 1200)),
        quadrant_png(tmp_path / "ridge.png", (1000, 1400)),
        _animated_gif(tmp_path / "lanterns.gif"),
    ]
    page.get_by_label("Add files").set_input_files(files)
    # One progress bar per file while it uploads; each row goes away once the item is attached.
    expect(page.locator(".media-list .media-item")).to_have_count(4, timeout=30_000)
    expect(page.locator(".upload-progress li")).to_have_count(0)
    expect(page.locator(".media-item.state-ready")).to_have_count(4, timeout=30_000)
    browser_page.shot("02-uploaded")

    page.get_by_label("Sketchfab, YouTube or Vimeo link").fill(SKETCHFAB_URL)
    page.get_by_role("button", name="Add link").click()
    expect(page.locator(".media-list .media-item")).to_have_count(5)
    expect(page.locator(".media-item .embed-chip", has_text="Sketchfab")).to_be_visible()


def _choose_crops(browser_page) -> None:
    page = browser_page.page
    touch = browser_page.viewport.touch
    # The crop editors reload themselves once the items are ready.
    thumbnail = CropEditor(browser_page, "thumbnail", post_crop=True)
    expect(thumbnail.root.locator(".crop-item-select option")).to_have_count(4)
    default = thumbnail.wait_until_ready()
    assert default["width"] == pytest.approx(0.625, abs=0.002)  # the largest centred square of 1600×1000
    thumbnail.shrink_from_top_left(0.6, touch=touch)
    thumbnail.move_to_corner("bottom-right", touch=touch)
    chosen = thumbnail.crop()

    assert chosen["x"] >= 0.5 and chosen["y"] >= 0.5, chosen
    browser_page.shot("03-thumbnail-crop")
    with page.expect_navigation():
        thumbnail.root.get_by_role("button", name="Save thumbnail crop").click()
    assert page.locator(".form-error").all_inner_texts() == [], chosen
    expect(page.locator(".message-success", has_text="Thumbnail crop saved")).to_be_visible()

    cover = CropEditor(browser_page, "cover", post_crop=True)
    cover.root.get_by_label("Cut from").select_option(label="Item 3 · Image")  # the tall 1000×1400 picture
    cover.wait_until_ready()
    cover.move_to_corner("top", touch=False)
    assert cover.crop()["y"] == pytest.approx(0, abs=0.002)
    with page.expect_navigation():
        cover.root.get_by_role("button", name="Save cover crop").click()
    assert page.locator(".form-error").all_inner_texts() == []
    expect(page.locator(".message-success", has_text="Cover crop saved")).to_be_visible()
    browser_page.shot("04-crops-saved")


def test_compose_publish_and_view_a_post(browser_page, make_user, tmp_path):
    page = browser_page.page
    handle = f"nadia_{browser_page.viewport.name}"
    make_user(handle)
    _log_in(browser_page, handle)
    page.route("https://sketchfab.com/**", lambda route: route.fulfill(body=PLAYER_STAND_IN, content_type="text/html"))

    browser_page.goto(f"/@{handle}")
    page.get_by_role("button", name="New post").first.click()
    page.wait_for_url(re.compile(r"/posts/\d+/edit$"))
    browser_page.assert_no_horizontal_overflow()
    browser_page.assert_controls_named()
    browser_page.shot("01-composer")

    _upload(browser_page, tmp_path)
    _choose_crops(browser_page)

    page.get_by_label("Title").fill("Harbour lanterns")
    page.get_by_text("Medium, category, tags, software, licence and content").click()
    page.get_by_label("Tags").fill("harbour, lanterns, #night")
    page.get_by_label("Medium").select_option(label="2D digital")
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("05-details")
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    assert re.search(r"/posts/\d+/$", page.url), page.url

    post = Post.objects.get(author__handle=handle)
    assert post.is_public and [item.kind for item in post.items.all()] == [
        MediaKind.IMAGE,
        MediaKind.IMAGE,
        MediaKind.IMAGE,
        MediaKind.ANIMATION,
        MediaKind.EMBED,
    ]
    assert sorted(tag.name for tag in post.tags.all()) == ["harbour", "lanterns", "night"]

    # The post page: every picture loads, the GIF stays animated, the embed waits for a click.
    expect(page.get_by_role("heading", name="Harbour lanterns")).to_be_visible()
    images = page.locator(".post-item-image img")
    expect(images).to_have_count(3)
    for index in range(3):
        browser_page.assert_image_loaded(images.nth(index))
    animated = page.locator(".post-item-animation picture source")
    assert animated.get_attribute("type") == "image/webp"
    assert page.locator("iframe").count() == 0
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("06-post-page")
    page.get_by_role("button", name="Load from Sketchfab").click()
    frame = page.locator("iframe.embed-frame")
    expect(frame).to_have_attribute("src", re.compile(r"^https://sketchfab\.com/models/[0-9a-f]{32}/embed"))

    # The lightbox opens on a picture and moves on with the arrow key.
    images.first.click()
    dialog = page.locator("dialog.lightbox")
    expect(dialog).to_be_visible()
    first_source = dialog.locator("img").get_attribute("src")
    page.keyboard.press("ArrowRight")
    assert dialog.locator("img").get_attribute("src") != first_source
    browser_page.shot("07-lightbox")
    page.keyboard.press("Escape")

    # Grids show the square thumbnail cut from the bottom-right (yellow) quadrant (the portfolio
    # leads with the newest post's wide cover, so Discover's grid has the card).
    browser_page.goto("/feed/discover/")
    card = page.locator(".post-card img").first
    browser_page.assert_image_loaded(card)
    quadrant, distance = nearest_quadrant(card.screenshot())
    assert (quadrant, distance < 40) == ("bottom-right", True), (quadrant, distance)
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("08-discover-grid")
    browser_page.goto(f"/@{handle}")
    expect(page.locator(".featured-post")).to_have_count(1)
    expect(page.locator(".post-card")).to_have_count(0)  # the one post is not shown twice
    browser_page.assert_no_horizontal_overflow()
    browser_page.shot("08-profile")

    # The cover was cut from the top of the tall picture: its top half is red | green.
    post.refresh_from_db()
    largest = max(post.covers["cover"]["sizes"], key=lambda size: size["w"])
    with public_storage().open(largest["name"], "rb") as file:
        cover_png = io.BytesIO()
        Image.open(file).convert("RGB").save(cover_png, format="PNG")
    assert nearest_quadrant(cover_png.getvalue(), (0.05, 0.05, 0.45, 0.45))[0] == "top-left"
    assert nearest_quadrant(cover_png.getvalue(), (0.55, 0.05, 0.95, 0.45))[0] == "top-right"
    browser_page.assert_clean_console()
