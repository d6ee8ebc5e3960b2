"""Hostile and unsuitable input to the composer: each is refused in words (never a 500), nothing is kept,
and the post's existing items are untouched. Other members' posts are 404 everywhere."""

import html

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from atelier.media.models import MediaItem, MediaKind
from atelier.media.states import MediaState
from atelier.posts.models import PostState
from atelier.posts.services import post_create_draft
from tests.media.sample_files import (
    PDF_DOCUMENT,
    SVG_WITH_SCRIPT,
    animated_gif,
    encode,
    make_clip,
    png_claiming,
    quadrant_bytes,
    truncated_jpeg,
)
from tests.posts.support import (
    YOUTUBE_URL,
    add_embed,
    add_image,
    original_files,
    post_embed,
    post_file,
    public_files,
    publish,
    read_public,
    url,
)

pytestmark = pytest.mark.django_db

UNREADABLE = "This file is neither an image nor a video we can read."
DAMAGED = "This image file is damaged or incomplete; try exporting it again."
NOT_AN_EMBED_HOST = "Only links to Sketchfab, YouTube and Vimeo can be embedded."


@pytest.fixture
def existing(draft, capture):
    """The draft already holds one processed image; a refused upload must leave it exactly as it is."""
    add_image(draft, capture=capture, size=(200, 150))
    return {
        "items": list(MediaItem.objects.filter(post=draft).values()),
        "public": public_files(),
        "originals": original_files(),
    }


def assert_refused(response, message: str) -> None:
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())


def assert_untouched(post, existing) -> None:
    assert list(MediaItem.objects.filter(post=post).values()) == existing["items"]
    assert public_files() == existing["public"]
    assert original_files() == existing["originals"]


def noise_png(size=(200, 200)) -> bytes:
    pixels = np.random.default_rng(7).integers(0, 256, (*size, 3), dtype=np.uint8)
    return encode(Image.fromarray(pixels), "PNG")


HOSTILE_FILES = {
    "truncated-jpeg": ("photo.jpg", truncated_jpeg, DAMAGED),
    "random-bytes": ("photo.jpg", lambda: np.random.default_rng(1).bytes(4096), UNREADABLE),
    "text-as-png": ("picture.png", lambda: b"Just some notes, not a picture.\n" * 20, UNREADABLE),
    "svg-with-script": ("drawing.svg", lambda: SVG_WITH_SCRIPT, UNREADABLE),
    "pdf": ("portfolio.pdf", lambda: PDF_DOCUMENT, UNREADABLE),
    "html": ("page.html", lambda: b"<!doctype html><html><script>alert(document.cookie)</script></html>", UNREADABLE),
    "bomb-header": (
        "huge.png",
        lambda: png_claiming(30000, 30000),
        "This image has too many pixels to process safely (the limit is 100 megapixels).",
    ),
}


@pytest.mark.parametrize("case", HOSTILE_FILES)
def test_a_hostile_file_is_refused_and_nothing_is_kept(author_client, draft, existing, capture, case):
    name, make, message = HOSTILE_FILES[case]
    with capture(execute=True) as queued:
        response = post_file(author_client, draft, make(), name=name)
    assert_refused(response, message)
    assert queued == []
    assert_untouched(draft, existing)


def test_a_hostile_file_sent_by_htmx_gets_the_message_in_the_media_list(author_client, draft, existing):
    response = post_file(author_client, draft, PDF_DOCUMENT, name="cv.pdf", htmx=True)
    assert_refused(response, UNREADABLE)
    assert response.content.decode().lstrip().startswith('<div class="media-list-wrap"')
    assert_untouched(draft, existing)


def test_an_image_over_the_byte_limit_is_refused(author_client, draft, existing, settings):
    settings.POST_IMAGE_MAX_BYTES = 20_000
    data = noise_png()
    assert len(data) > 100_000
    assert_refused(post_file(author_client, draft, data, name="noise.png"), "; the limit is 19.5\xa0KB.")
    assert_untouched(draft, existing)


def test_a_video_over_the_length_limit_is_refused(author_client, draft, existing, settings, tmp_path):
    settings.POST_VIDEO_MAX_SECONDS = 1
    clip = make_clip(tmp_path / "long.mp4", size=(64, 48), seconds=2.0)
    response = post_file(author_client, draft, clip.read_bytes(), name="long.mp4")
    assert_refused(response, "This video runs 0:02; videos can be up to 1 second long.")
    assert_untouched(draft, existing)


def test_an_empty_file_is_refused(author_client, draft, existing):
    # Django's FileField refuses it before the app sees it; the composer shows that field's own words.
    response = post_file(author_client, draft, b"", name="empty.jpg")
    assert_refused(response, "The submitted file is empty.")
    assert_untouched(draft, existing)


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("javascript:alert(1)", "Only web links (starting with https://) can be embedded."),
        ("https://example.com/videos/42", NOT_AN_EMBED_HOST),
        ("https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ", NOT_AN_EMBED_HOST),
        ('https://www.youtube.com/watch?v="><script>alert(1)</script>', "characters that don't belong"),
    ],
)
def test_a_bad_embed_link_is_refused(author_client, draft, existing, link, message):
    assert_refused(post_embed(author_client, draft, link), message)
    assert_untouched(draft, existing)


def test_the_twenty_first_item_is_refused(author_client, draft, existing):
    for _ in range(19):
        add_embed(draft)
    before = {**existing, "items": list(MediaItem.objects.filter(post=draft).values())}
    assert len(before["items"]) == 20
    assert_refused(post_file(author_client, draft, quadrant_bytes("PNG", (100, 80))), "A post holds at most 20 items.")
    assert_refused(post_embed(author_client, draft, YOUTUBE_URL), "A post holds at most 20 items.")
    assert_untouched(draft, before)


# Polyglots: accepted as pictures, but nothing but pixels reaches a public file

SCRIPT = b"<script>alert(document.cookie)</script>"


def test_a_gif_with_a_script_appended_is_processed_without_it(author_client, draft, capture):
    gif = animated_gif(size=(160, 120), frames=6, comment=SCRIPT) + SCRIPT
    with capture(execute=True):
        assert post_file(author_client, draft, gif, name="loop.gif").status_code == 302
    item = draft.items.get()
    assert (item.kind, item.state) == (MediaKind.ANIMATION, MediaState.READY)
    publish(draft, capture=capture)
    names = public_files()
    assert any(name.endswith("anim.webp") for name in names) and any(name.endswith(".mp4") for name in names)
    for name in names:
        assert b"<script" not in read_public(name).lower(), name


def test_a_jpeg_with_html_in_its_exif_is_processed_without_it(author_client, draft, capture):
    markup = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    exif = Image.Exif()
    exif[0x010E] = markup  # ImageDescription
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00" + markup.encode()  # UserComment
    with capture(execute=True):
        assert post_file(author_client, draft, quadrant_bytes("JPEG", (400, 300), exif=exif)).status_code == 302
    assert draft.items.get().state == MediaState.READY
    post = publish(draft, capture=capture)
    for name in public_files():
        data = read_public(name).lower()
        assert b"<script" not in data and b"onerror" not in data, name
    page = author_client.get(post.get_absolute_url()).content.decode()
    assert "onerror" not in page and "alert(2)" not in page


# Someone else's post, and nobody signed in


@pytest.fixture
def published(draft, capture):
    first = add_image(draft, capture=capture, size=(200, 150))
    second = add_embed(draft)
    post = publish(draft, capture=capture)
    return post, first, second


def composer_requests(post, first, second) -> list[tuple[str, str, dict | None]]:
    crop = {"kind": "thumbnail", "item": first.pk, "x": 0, "y": 0, "width": 0.5, "height": 0.5}
    return [
        ("get", url("edit", post), None),
        ("post", url("edit", post), {"title": "Taken over", "action": "save"}),
        ("post", url("media_add", post), {"embed_url": YOUTUBE_URL}),
        ("get", url("media_status", post), None),
        ("post", url("media_remove", post, first.pk), {}),
        ("post", url("media_retry", post, first.pk), {}),
        ("post", url("media_alt", post, first.pk), {"alt_text": "defaced"}),
        ("post", url("media_reorder", post), {"order": f"{second.pk},{first.pk}"}),
        ("post", url("media_move", post, second.pk, "up"), {}),
        ("post", url("crop", post), crop),
        ("post", url("delete", post), {}),
        ("post", url("unpublish", post), {}),
    ]


def snapshot(post) -> tuple:
    post.refresh_from_db()
    return post.title, post.state, post.covers, list(post.items.values()), public_files(), original_files()


def test_every_composer_endpoint_is_404_on_someone_elses_post(stranger_client, published):
    post, first, second = published
    before = snapshot(post)
    for method, address, data in composer_requests(post, first, second):
        response = getattr(stranger_client, method)(address, data) if data is not None else stranger_client.get(address)
        assert response.status_code == 404, (method, address)
    assert snapshot(post) == before
    assert before[1] == PostState.PUBLIC


def test_items_of_someone_elses_post_are_404_through_ones_own_post(stranger_client, stranger, published):
    post, first, _ = published
    own = post_create_draft(author=stranger)
    before = snapshot(post)
    for name in ("media_remove", "media_retry", "media_alt"):
        assert stranger_client.post(url(name, own, first.pk), {"alt_text": "x"}).status_code == 404, name
    assert stranger_client.post(url("media_move", own, first.pk, "down")).status_code == 404
    assert snapshot(post) == before


def test_nobody_signed_in_is_sent_to_log_in(client, published):
    post, first, second = published
    before = snapshot(post)
    login = reverse("accounts:login")
    requests = [*composer_requests(post, first, second), ("post", reverse("posts:new"), {})]
    for method, address, data in requests:
        response = getattr(client, method)(address, data) if data is not None else client.get(address)
        assert response.status_code == 302 and response["Location"].startswith(f"{login}?next="), address
    assert snapshot(post) == before
