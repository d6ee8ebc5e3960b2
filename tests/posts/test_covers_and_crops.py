"""Thumbnails (square) and covers (3:2): defaults from the first visual item, the author's crops, item order."""

import io

import numpy as np
import pytest
from django.utils.html import escape
from PIL import Image

from atelier.media.models import MediaItem
from atelier.media.xmp import post_xmp
from atelier.posts.services import post_create_draft
from tests.conftest import image_bytes
from tests.media.sample_files import QUADRANT_COLOURS, animated_gif, close_to, quadrant_bytes
from tests.posts.support import (
    HTMX,
    add_embed,
    add_file,
    add_image,
    expected_public_files,
    open_public_image,
    original_files,
    public_files,
    publish,
    read_public,
    url,
)

pytestmark = pytest.mark.django_db


def sizes_of(cover: dict) -> list[tuple[int, int]]:
    return sorted(((size["w"], size["h"]) for size in cover["sizes"]), reverse=True)


def corners(image: Image.Image) -> list[tuple]:
    width, height = image.size
    return [image.getpixel((x, y)) for x in (4, width // 2, width - 5) for y in (4, height // 2, height - 5)]


def crop_request(item, kind: str = "thumbnail", **box) -> dict:
    return {"kind": kind, "item": item.pk, **{"x": 0, "y": 0, "width": 0.5, "height": 0.5, **box}}


def test_default_covers_are_cut_from_the_first_visual_item_after_publishing(draft, capture):
    add_embed(draft)  # first in order, but has no pixels
    first = add_file(draft, quadrant_bytes("JPEG", (1600, 1200), quality=90), capture=capture)
    add_image(draft, capture=capture)
    post = publish(draft, capture=capture)
    thumbnail, cover = post.covers["thumbnail"], post.covers["cover"]
    assert thumbnail["item"] == cover["item"] == first.pk
    assert sizes_of(thumbnail) == [(640, 640), (320, 320)]
    # 3:2 to the pixel: rounding the crop to whole pixels never costs a row.
    assert sizes_of(cover) == [(1440, 960), (960, 640), (480, 320)]
    assert thumbnail["crop"] == {"x": 0.125, "y": 0.0, "width": 0.75, "height": 1.0}
    assert cover["crop"]["width"] == 1.0 and cover["crop"]["height"] == pytest.approx(8 / 9)
    for size in thumbnail["sizes"] + cover["sizes"]:
        assert open_public_image(size["name"]).size == (size["w"], size["h"])
    square = open_public_image(max(thumbnail["sizes"], key=lambda size: size["w"])["name"])
    assert close_to(square.getpixel((10, 10)), QUADRANT_COLOURS["top-left"], tolerance=20)
    assert close_to(square.getpixel((630, 630)), QUADRANT_COLOURS["bottom-right"], tolerance=20)
    assert post.thumbnail["width"] == 640 and post.cover["width"] == 1440
    assert "animated" not in thumbnail


def test_a_thumbnail_crop_takes_exactly_the_chosen_rectangle(author_client, draft, capture):
    item = add_file(draft, quadrant_bytes("PNG", (800, 600)), capture=capture)
    post = publish(draft, capture=capture)
    cover_crop = post.covers["cover"]["crop"]
    with capture(execute=True):
        response = author_client.post(url("crop", post), crop_request(item, x=0.5, y=0.5, width=0.375), follow=True)
    assert response.redirect_chain == [(url("edit", post), 302)]
    assert "Thumbnail crop saved." in response.content.decode()
    post.refresh_from_db()
    assert post.thumbnail_item_id == item.pk
    assert post.thumbnail_crop == {"x": 0.5, "y": 0.5, "width": 0.375, "height": 0.5}
    thumbnail = post.covers["thumbnail"]
    assert sizes_of(thumbnail) == [(300, 300)]  # the 300 px crop is never scaled up to 640
    for pixel in corners(open_public_image(thumbnail["sizes"][0]["name"])):
        assert close_to(pixel, QUADRANT_COLOURS["bottom-right"]), pixel
    assert post.covers["cover"]["crop"] == cover_crop  # the cover keeps its default


def test_cropping_again_replaces_the_covers_and_deletes_the_old_files(author_client, draft, capture):
    item = add_file(draft, quadrant_bytes("PNG", (800, 600)), capture=capture)
    post = publish(draft, capture=capture)
    with capture(execute=True):
        author_client.post(url("crop", post), crop_request(item, width=0.375))
    post.refresh_from_db()
    old_names = {size["name"] for cover in post.covers.values() for size in cover["sizes"]}
    first_pixel = open_public_image(post.covers["thumbnail"]["sizes"][0]["name"]).getpixel((150, 150))
    assert close_to(first_pixel, QUADRANT_COLOURS["top-left"])
    renditions, originals = MediaItem.objects.get(pk=item.pk).renditions, original_files()

    with capture(execute=True):
        response = author_client.post(url("crop", post), crop_request(item, x=0.5, y=0.5, width=0.375), headers=HTMX)
    assert response.status_code == 200 and 'id="media-list-wrap"' in response.content.decode()
    post.refresh_from_db()
    new_names = {size["name"] for cover in post.covers.values() for size in cover["sizes"]}
    assert not old_names & new_names
    assert public_files() == expected_public_files(post)
    assert not old_names & public_files()
    pixel = open_public_image(post.covers["thumbnail"]["sizes"][0]["name"]).getpixel((150, 150))
    assert close_to(pixel, QUADRANT_COLOURS["bottom-right"])
    assert MediaItem.objects.get(pk=item.pk).renditions == renditions and original_files() == originals


@pytest.fixture
def cropping(author, draft, capture):
    """A published post with an image and an embed, and another post of the same author."""
    image = add_image(draft, capture=capture)
    embed = add_embed(draft)
    post = publish(draft, capture=capture)
    other = post_create_draft(author=author)
    foreign = add_image(other, capture=capture, size=(200, 150))
    return post, {"image": image, "embed": embed, "foreign": foreign}


ITEM_MESSAGE = "Pick one of this post's images, animations or videos."
OUTSIDE = "The crop must lie inside the image."
BAD_CROPS = {
    "embed-item": ("embed", {}, ITEM_MESSAGE),
    "another-posts-item": ("foreign", {}, ITEM_MESSAGE),
    "past-the-right-edge": ("image", {"x": 0.8, "width": 0.5}, OUTSIDE),
    "negative": ("image", {"y": -0.1}, OUTSIDE),
    "zero-width": ("image", {"width": 0}, OUTSIDE),
    "nan": ("image", {"x": "NaN"}, "Enter a number."),
    "infinite": ("image", {"height": "inf"}, "Enter a number."),
    "words": ("image", {"width": "half"}, "Enter a number."),
    "unknown-kind": ("image", {"kind": "banner"}, "Select a valid choice."),
}


@pytest.mark.parametrize("case", BAD_CROPS)
def test_a_bad_crop_is_refused_and_changes_nothing(author_client, cropping, capture, case):
    post, items = cropping
    which, box, message = BAD_CROPS[case]
    before = (post.covers, post.covers_version, post.thumbnail_item_id, post.thumbnail_crop, public_files())
    with capture(execute=True) as queued:
        response = author_client.post(url("crop", post), crop_request(items[which], **box))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert queued == []
    post.refresh_from_db()
    assert (post.covers, post.covers_version, post.thumbnail_item_id, post.thumbnail_crop, public_files()) == before


# Order


def order_of(post) -> list[int]:
    return list(post.items.order_by("position").values_list("pk", flat=True))


@pytest.fixture
def three_items(draft, capture):
    first = add_file(draft, image_bytes("PNG", (300, 200), colour=(200, 30, 30)), capture=capture)
    second = add_file(draft, image_bytes("PNG", (200, 300), colour=(30, 200, 30)), capture=capture)
    third = add_embed(draft)
    return publish(draft, capture=capture), first, second, third


def test_reordering_moves_the_items_and_the_default_covers_follow(author_client, three_items, capture):
    post, first, second, third = three_items
    old_cover_files = {size["name"] for cover in post.covers.values() for size in cover["sizes"]}
    with capture(execute=True):
        response = author_client.post(url("media_reorder", post), {"order": f"{third.pk},{second.pk},{first.pk}"})
    assert response.status_code == 302
    assert order_of(post) == [third.pk, second.pk, first.pk]
    assert list(post.items.order_by("position").values_list("position", flat=True)) == [0, 1, 2]
    post.refresh_from_db()
    assert post.covers["thumbnail"]["item"] == post.covers["cover"]["item"] == second.pk
    assert close_to(open_public_image(post.covers["thumbnail"]["sizes"][0]["name"]).getpixel((100, 190)), (30, 200, 30))
    assert not old_cover_files & public_files()


def test_a_chosen_thumbnail_stays_when_the_order_changes(author_client, three_items, capture):
    post, first, second, third = three_items
    with capture(execute=True):
        author_client.post(url("crop", post), crop_request(first, width=2 / 3, height=1))
        author_client.post(url("media_reorder", post), {"order": f"{second.pk},{first.pk},{third.pk}"})
    post.refresh_from_db()
    assert (post.covers["thumbnail"]["item"], post.covers["cover"]["item"]) == (first.pk, second.pk)


@pytest.mark.parametrize(
    ("order", "message"),
    [
        ("{first},{second}", "The new order must list every item of this post once."),
        ("{first},{second},{second}", "The new order must list every item of this post once."),
        ("{first},{second},{third},{third}", "The new order must list every item of this post once."),
        ("{first},{second},{foreign}", "The new order must list every item of this post once."),
        ("{first},{second},{third},{foreign}", "The new order must list every item of this post once."),
        ("{first},second,{third}", "The order must be a list of item numbers."),
    ],
)
def test_a_bad_order_is_refused(author, author_client, three_items, capture, order, message):
    post, first, second, third = three_items
    foreign = add_embed(post_create_draft(author=author))
    covers = post.covers
    ids = {"first": first.pk, "second": second.pk, "third": third.pk, "foreign": foreign.pk}
    response = author_client.post(url("media_reorder", post), {"order": order.format(**ids)})
    assert response.status_code == 400 and message in response.content.decode()
    assert order_of(post) == [first.pk, second.pk, third.pk]
    post.refresh_from_db()
    assert post.covers == covers


def test_moving_up_and_down(author_client, three_items, capture):
    post, first, second, third = three_items
    with capture(execute=True):
        assert author_client.post(url("media_move", post, third.pk, "up")).status_code == 302
    assert order_of(post) == [first.pk, third.pk, second.pk]
    with capture(execute=True):
        response = author_client.post(url("media_move", post, first.pk, "down"), headers=HTMX)
    assert response.status_code == 200 and 'id="media-list-wrap"' in response.content.decode()
    assert order_of(post) == [third.pk, first.pk, second.pk]
    post.refresh_from_db()
    assert post.covers["thumbnail"]["item"] == first.pk  # still the first item with pixels
    assert author_client.post(url("media_move", post, third.pk, "up")).status_code == 302  # already first
    assert author_client.post(url("media_move", post, second.pk, "down")).status_code == 302  # already last
    assert author_client.post(url("media_move", post, second.pk, "sideways")).status_code == 404
    assert order_of(post) == [third.pk, first.pk, second.pk]


def test_a_gif_chosen_as_thumbnail_gives_an_animated_thumbnail(author_client, stranger_client, draft, capture):
    add_image(draft, capture=capture)
    gif = add_file(draft, animated_gif(size=(160, 120), frames=6), capture=capture)
    post = publish(draft, capture=capture)
    with capture(execute=True):
        author_client.post(url("crop", post), crop_request(gif, width=0.75, height=1))
    post.refresh_from_db()
    animated = post.covers["thumbnail"]["animated"]
    webp = Image.open(io.BytesIO(read_public(animated["webp"])))
    assert (webp.format, webp.is_animated, webp.n_frames, webp.size) == ("WEBP", True, 6, (120, 120))
    assert read_public(animated["mp4"])[4:8] == b"ftyp"
    assert sizes_of(post.covers["thumbnail"]) == [(120, 120)]
    assert "animated" not in post.covers["cover"]  # the cover still comes from the still image
    grid = stranger_client.get("/feed/discover/").content.decode()  # a grid of cards (a portfolio leads with the cover)
    assert f'<source srcset="{escape(post.thumbnail["animated_webp"])}" type="image/webp"' in grid


def test_a_cover_task_delivered_twice_builds_once(draft, capture):
    """Tasks ack late, so a broker may deliver one twice: the second finds its version built."""
    from atelier.posts.covers import post_covers_render

    add_image(draft, capture=capture)
    post = publish(draft, capture=capture)
    before = (post.covers, public_files())
    assert post.covers_built_version == post.covers_version
    assert post_covers_render(post_id=post.pk, version=post.covers_version) is False
    post.refresh_from_db()
    assert (post.covers, public_files()) == before


def test_thumbnails_and_covers_also_come_as_avif_for_grids_and_feeds(client, draft, capture):
    add_file(draft, quadrant_bytes("JPEG", (1600, 1200), quality=90), capture=capture)
    post = publish(draft, capture=capture)
    for kind in ("thumbnail", "cover"):
        for size in post.covers[kind]["sizes"]:
            avif = Image.open(io.BytesIO(read_public(size["avif"])))
            assert (avif.format, avif.size) == ("AVIF", (size["w"], size["h"]))
            assert not avif.getexif() and "icc_profile" not in avif.info
            assert avif.info["xmp"] == post_xmp(post)  # only Atelier's rights and do-not-train packet
    # Full-size renditions stay WebP: an AVIF srcset without the large sizes would blur big screens.
    assert all("avif" not in size for size in post.items.get().sizes)
    portfolio = client.get(f"/@{post.author.handle}").content.decode()
    assert portfolio.count('type="image/avif"') == 1  # the featured cover (the newest post is not repeated in the grid)
    feed = client.get("/feed/discover/").content.decode()
    assert feed.count('type="image/avif"') == 1  # the grid thumbnail


def detailed_jpeg(size=(1600, 1200)) -> bytes:
    """A picture with edges and texture everywhere (a flat one would hide a poor encode)."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(7).integers(0, 40, (height, width))
    red = (x * 255 // width + noise) % 256
    green = ((x // 40 + y // 40) % 2) * 180 + noise
    blue = (y * 255 // height + (x // 7) % 3 * 20) % 256
    pixels = np.dstack([red, np.clip(green, 0, 255), blue]).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def test_the_webp_fallback_of_a_cover_shows_the_same_picture_as_its_avif(draft, capture):
    """The WebP behind a cover's AVIF is encoded at libwebp's fastest method (stills._FALLBACK_METHOD):
    cheaper for the media worker, and still the same picture for a browser without AVIF."""
    add_file(draft, detailed_jpeg(), capture=capture)
    post = publish(draft, capture=capture)
    for kind in ("thumbnail", "cover"):
        for size in post.covers[kind]["sizes"]:
            webp = Image.open(io.BytesIO(read_public(size["name"])))
            avif = Image.open(io.BytesIO(read_public(size["avif"])))
            assert (webp.format, webp.size) == ("WEBP", avif.size)
            webp_pixels = np.asarray(webp.convert("RGB"), dtype=np.int16)
            avif_pixels = np.asarray(avif.convert("RGB"), dtype=np.int16)
            # 4.3-5.6 here at method 0 (4.2-5.6 at method 4; this picture's noise differs between any two
            # codecs), 6.4-8.5 if the fallback were encoded at quality 20.
            assert np.abs(webp_pixels - avif_pixels).mean() < 6.2, (kind, size["w"])
