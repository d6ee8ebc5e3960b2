"""From an uploaded file to public renditions: every accepted format, GIFs, video, metadata, and the
worker's state machine (idempotent, version-checked, restartable, failing in words)."""

import io
import re

import av
import numpy as np
import pytest
from django.utils.html import escape
from PIL import Image

from atelier.media import stills
from atelier.media.models import MediaItem, MediaKind
from atelier.media.processing import UNEXPECTED_FAILURE
from atelier.media.states import CheckState, InvalidTransition, MediaState, can_transition, transition
from atelier.media.storages import originals_storage
from atelier.media.xmp import post_xmp
from atelier.posts import visibility
from atelier.posts.items import media_item_process
from atelier.posts.models import Post, PostState
from tests.media.sample_files import (
    QUADRANT_COLOURS,
    animated_gif,
    close_to,
    encode,
    make_clip,
    quadrant_bytes,
    quadrant_image,
)
from tests.posts.support import (
    add_embed,
    add_file,
    add_image,
    expected_public_files,
    largest,
    open_public_image,
    post_file,
    public_files,
    publish,
    read_public,
    save_details,
    url,
)

pytestmark = pytest.mark.django_db

SIZE = (800, 600)
HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")


def quadrants_of(image: Image.Image) -> dict[str, tuple]:
    width, height = image.size
    points = {"top-left": (1, 1), "top-right": (3, 1), "bottom-left": (1, 3), "bottom-right": (3, 3)}
    return {name: image.getpixel((x * width // 4, y * height // 4)) for name, (x, y) in points.items()}


def sixteen_bit_grey(value: int = 32768) -> bytes:
    return encode(Image.fromarray(np.full(SIZE[::-1], value, dtype=np.uint16)), "PNG")


def palette_with_transparency() -> bytes:
    image = quadrant_image(SIZE).quantize(colors=8)
    transparent = image.getpixel((0, 0))
    return encode(image, "PNG", transparency=transparent)


FORMATS = {
    "jpeg": (lambda: quadrant_bytes("JPEG", SIZE, quality=92), "JPEG"),
    "progressive-jpeg": (lambda: quadrant_bytes("JPEG", SIZE, quality=92, progressive=True), "JPEG"),
    "cmyk-jpeg": (lambda: encode(quadrant_image(SIZE).convert("CMYK"), "JPEG", quality=92), "JPEG"),
    "png-16-bit": (sixteen_bit_grey, "PNG"),
    "palette-png": (palette_with_transparency, "PNG"),
    "webp": (lambda: quadrant_bytes("WEBP", SIZE, quality=90), "WEBP"),
    "avif": (lambda: quadrant_bytes("AVIF", SIZE, quality=90), "AVIF"),
    "heic": (lambda: quadrant_bytes("HEIF", SIZE, quality=90), "HEIF"),
}


@pytest.mark.parametrize("kind", FORMATS)
def test_each_accepted_image_format_becomes_webp_renditions(author_client, draft, capture, kind):
    make, pillow_format = FORMATS[kind]
    with capture(execute=True):
        response = post_file(author_client, draft, make(), name="upload.bin")
    assert response.status_code == 302, response.content.decode()[:500]
    item = draft.items.get()
    assert (item.kind, item.state, item.original_format) == (MediaKind.IMAGE, MediaState.READY, pillow_format)
    assert (item.width, item.height, item.failure_reason) == (800, 600, "")
    assert [(size["w"], size["h"]) for size in item.sizes] == [(320, 240), (640, 480), (800, 600)]
    for size in item.sizes:
        rendition = open_public_image(size["name"])
        assert (rendition.format, rendition.size) == ("WEBP", (size["w"], size["h"]))
    assert HEX_COLOUR.fullmatch(item.colour)
    biggest = open_public_image(largest(item.sizes)["name"])
    if kind == "png-16-bit":
        assert biggest.mode == "RGB"
    elif kind == "palette-png":
        assert biggest.mode == "RGBA" and biggest.getpixel((5, 5))[3] == 0
        assert close_to(quadrants_of(biggest)["bottom-right"], QUADRANT_COLOURS["bottom-right"])
    else:
        for name, colour in quadrants_of(biggest).items():
            assert close_to(colour, QUADRANT_COLOURS[name], tolerance=20), (name, colour)
        average = np.mean(list(QUADRANT_COLOURS.values()), axis=0)
        assert close_to(Image.new("RGB", (1, 1), item.colour).getpixel((0, 0)), [round(v) for v in average])


def test_a_sixteen_bit_grey_png_keeps_its_brightness(draft, capture):
    item = add_file(draft, sixteen_bit_grey(32768), capture=capture)
    red, green, blue = open_public_image(largest(item.sizes)["name"]).getpixel((10, 10))
    assert abs(red - 128) < 8 and red == green == blue


def test_an_animated_gif_becomes_an_animation_lighter_than_the_gif(author_client, draft, capture, settings):
    # The encoding's own weight: signed Content Credentials add a fixed ~5 KB per file (tested in
    # tests/shield), which only matters next to this deliberately tiny 7 KB GIF.
    settings.C2PA_CONTENT_CREDENTIALS = False
    gif = animated_gif(size=(320, 240), frames=12)
    with capture(execute=True):
        assert post_file(author_client, draft, gif, name="loop.gif").status_code == 302
    item = draft.items.get()
    assert (item.kind, item.state, item.width, item.height) == (MediaKind.ANIMATION, MediaState.READY, 320, 240)
    webp_bytes = read_public(item.renditions["animated"]["webp"])
    webp = Image.open(io.BytesIO(webp_bytes))
    assert (webp.format, webp.n_frames, webp.size) == ("WEBP", 12, (320, 240))
    mp4_bytes = read_public(item.renditions["animated"]["mp4"])
    assert len(mp4_bytes) < len(gif) and len(webp_bytes) < len(gif)
    with av.open(io.BytesIO(mp4_bytes)) as clip:
        assert clip.streams.video[0].codec_context.name == "h264"
        assert len(list(clip.decode(video=0))) == 12
    assert [(size["w"], size["h"]) for size in item.sizes] == [(320, 240)]
    assert open_public_image(item.sizes[0]["name"]).size == (320, 240)


def test_a_video_is_transcoded_with_a_poster(author_client, draft, capture, tmp_path):
    clip = make_clip(tmp_path / "clip.mov", size=(320, 240), seconds=1.0, metadata={"title": "secret-title"})
    with capture(execute=True):
        assert post_file(author_client, draft, clip.read_bytes(), name="clip.mov").status_code == 302
    item = draft.items.get()
    assert (item.kind, item.state, item.progress) == (MediaKind.VIDEO, MediaState.READY, 1.0)
    assert (item.width, item.height) == (320, 240)
    assert item.duration_seconds == pytest.approx(1.0, abs=0.1)
    mp4 = read_public(item.renditions["mp4"])
    assert b"secret-title" not in mp4
    with av.open(io.BytesIO(mp4)) as video:
        stream = video.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 320, 240)
        assert float(video.duration / av.time_base) == pytest.approx(1.0, abs=0.1)
    assert [(size["w"], size["h"]) for size in item.sizes] == [(320, 240)]
    poster = open_public_image(item.sizes[0]["name"])
    assert close_to(poster.getpixel((40, 30)), (255, 0, 0), tolerance=30)  # the clip's red quadrant
    page = author_client.get(draft.get_absolute_url()).content.decode()
    assert f'poster="{escape(item.src)}"' in page
    assert f'<source src="{escape(item.video_url)}" type="video/mp4">' in page


def test_exif_orientation_turns_the_renditions_upright(draft, capture):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    item = add_file(draft, quadrant_bytes("JPEG", SIZE, quality=92, exif=exif), capture=capture)
    assert (item.width, item.height) == (600, 800)
    assert [(size["w"], size["h"]) for size in item.sizes] == [(240, 320), (480, 640), (600, 800)]
    upright = quadrants_of(open_public_image(largest(item.sizes)["name"]))
    assert close_to(upright["top-right"], QUADRANT_COLOURS["top-left"], tolerance=20)
    assert close_to(upright["bottom-left"], QUADRANT_COLOURS["bottom-right"], tolerance=20)


def test_no_public_file_keeps_gps_camera_or_xmp_data_of_the_upload(draft, capture):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0xA431] = "SecretCam", "Model-X", "SERIAL-8675309"
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">XMP-SECRET-LOCATION</x:xmpmeta>'
    add_file(draft, quadrant_bytes("JPEG", SIZE, exif=exif, xmp=xmp), capture=capture)
    publish(draft, capture=capture)
    names = public_files()
    assert names == expected_public_files(draft)
    assert {name.split("/")[-1].split("-")[0] for name in names} == {str(draft.items.get().pk), "thumbnail", "cover"}
    for name in names:
        data = read_public(name)
        for secret in (b"SecretCam", b"SERIAL-8675309", b"XMP-SECRET", b"Exif\x00\x00", b"EXIF"):
            assert secret not in data, (name, secret)
        image = Image.open(io.BytesIO(data))
        assert not image.getexif() and "exif" not in image.info
        # The only XMP is Atelier's own rights and do-not-train packet (media.xmp).
        assert image.info["xmp"] == post_xmp(draft)


def test_renditions_are_never_larger_than_the_source(draft, capture):
    item = add_file(draft, quadrant_bytes("PNG", (500, 400)), capture=capture)
    assert [(size["w"], size["h"]) for size in item.sizes] == [(320, 256), (500, 400)]
    post = publish(draft, capture=capture)
    for size in item.sizes + post.covers["thumbnail"]["sizes"] + post.covers["cover"]["sizes"]:
        assert size["w"] <= 500 and size["h"] <= 400
        assert open_public_image(size["name"]).size == (size["w"], size["h"])


def test_the_post_page_has_srcset_sizes_and_a_colour_placeholder(client, draft, capture):
    item = add_file(draft, quadrant_bytes("JPEG", (1600, 1200), quality=90), capture=capture)
    publish(draft, capture=capture)
    html = client.get(draft.get_absolute_url()).content.decode()
    tag = re.search(r'<img class="zoomable"[^>]*>', html).group(0)
    srcset = re.search(r'srcset="([^"]*)"', tag).group(1)
    assert [entry.rsplit(" ", 1)[1] for entry in srcset.split(", ")] == ["320w", "640w", "1280w", "1600w"]
    assert all(entry.startswith("/media/posts/") for entry in srcset.split(", "))
    assert 'width="1600"' in tag and 'height="1200"' in tag
    assert HEX_COLOUR.fullmatch(item.colour) and f'data-colour="{item.colour}"' in tag


# The worker


def test_processing_twice_changes_nothing(draft, capture):
    item = add_image(draft, capture=capture)
    files = public_files()
    assert media_item_process(item_id=item.pk, version=item.version) is False
    unchanged = MediaItem.objects.get(pk=item.pk)
    assert (unchanged.renditions, unchanged.state, unchanged.updated_at) == (item.renditions, "ready", item.updated_at)
    assert public_files() == files


def test_a_version_that_went_stale_mid_render_is_dropped_with_its_files(draft, capture, monkeypatch):
    item = add_file(draft, quadrant_bytes("PNG", (400, 300)), capture=capture, process=False)
    real_render = stills.render_stills

    def render_while_the_item_changes(*args, **kwargs):
        # The moment the worker is busy, a newer version of the item is queued (as a retry would).
        MediaItem.objects.filter(pk=item.pk).update(version=2)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(stills, "render_stills", render_while_the_item_changes)
    assert media_item_process(item_id=item.pk, version=1) is False
    item.refresh_from_db()
    assert (item.state, item.renditions) == (MediaState.PROCESSING, {})
    assert public_files() == set()  # the stale renditions were written, then deleted
    monkeypatch.setattr(stills, "render_stills", real_render)
    assert media_item_process(item_id=item.pk, version=1) is False
    assert media_item_process(item_id=item.pk, version=2) is True
    item.refresh_from_db()
    assert item.state == MediaState.READY and public_files() == {size["name"] for size in item.sizes}


def test_a_task_rerun_after_its_worker_died_completes(draft, capture):
    item = add_file(draft, quadrant_bytes("PNG", (400, 300)), capture=capture, process=False)
    transition(item, MediaState.PROCESSING)  # what the dead worker had committed before it died
    item.save()
    with capture(execute=True):
        assert media_item_process(item_id=item.pk, version=item.version) is True
    item.refresh_from_db()
    draft.refresh_from_db()
    assert (item.state, item.progress, len(item.sizes)) == (MediaState.READY, 1.0, 2)
    assert draft.state == PostState.DRAFT  # ready items never publish a draft


def test_an_original_broken_after_acceptance_fails_in_words_and_retry_recovers(
    author_client, stranger, stranger_client, draft, capture, caplog
):
    add_embed(draft)
    original = quadrant_bytes("PNG", (400, 300))
    item = add_file(draft, original, capture=capture, process=False)
    post = publish(draft, capture=capture)
    path = originals_storage().path(item.original_name)
    with open(path, "wb") as stored:
        stored.write(b"\x00junk where the picture was")

    assert media_item_process(item_id=item.pk, version=item.version) is False
    item.refresh_from_db()
    post.refresh_from_db()
    assert (item.state, item.failure_reason) == (MediaState.FAILED, UNEXPECTED_FAILURE)
    assert "Processing media item" in caplog.text  # the details go to the log, not to the author
    assert post.state == PostState.CHECKING
    assert not Post.objects.visible_to(stranger).exists() and not Post.objects.public().exists()
    assert stranger_client.get(post.get_absolute_url()).status_code == 404
    assert UNEXPECTED_FAILURE in author_client.get(url("edit", post)).content.decode()

    with open(path, "wb") as stored:
        stored.write(original)
    with capture(execute=True):
        response = author_client.post(url("media_retry", post, item.pk))
    assert response.status_code == 302
    item.refresh_from_db()
    post.refresh_from_db()
    assert (item.state, item.version, item.failure_reason) == (MediaState.READY, 2, "")
    assert post.state == PostState.PUBLIC
    assert stranger_client.get(post.get_absolute_url()).status_code == 200


# States and readiness

REFUSED = [
    (MediaState.READY, MediaState.FAILED),
    (MediaState.READY, MediaState.READY),
    (MediaState.READY, MediaState.UPLOADED),
    (MediaState.FAILED, MediaState.READY),
    (MediaState.FAILED, MediaState.FAILED),
    (MediaState.FAILED, MediaState.UPLOADED),
    (MediaState.PROCESSING, MediaState.UPLOADED),
    (MediaState.UPLOADED, MediaState.UPLOADED),
]


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_moves_the_diagram_does_not_allow_are_refused(current, target):
    item = MediaItem(state=current, progress=0.5, failure_reason="kept")
    assert can_transition(current, target) is False
    with pytest.raises(InvalidTransition):
        transition(item, target)
    assert (item.state, item.progress, item.failure_reason) == (current, 0.5, "kept")


def test_allowed_moves_set_progress_and_reason():
    item = MediaItem(state=MediaState.UPLOADED)
    transition(item, MediaState.PROCESSING)
    assert (item.state, item.progress) == (MediaState.PROCESSING, 0.0)
    transition(item, MediaState.FAILED, reason="Too dark to see.")
    assert (item.state, item.failure_reason) == (MediaState.FAILED, "Too dark to see.")
    transition(item, MediaState.PROCESSING)
    assert item.failure_reason == ""
    transition(item, MediaState.READY)
    assert (item.state, item.progress) == (MediaState.READY, 1.0)
    transition(item, MediaState.PROCESSING)  # a ready item is rebuilt for a new crop
    assert item.state == MediaState.PROCESSING


def test_a_post_is_public_only_when_it_has_items_all_ready_and_cleared(draft):
    Post.objects.filter(pk=draft.pk).update(state=PostState.CHECKING)  # published by its author

    def public() -> bool:
        return visibility.refresh(draft.pk) == PostState.PUBLIC

    assert public() is False  # no items at all
    first = MediaItem.objects.create(
        post=draft, kind=MediaKind.IMAGE, state=MediaState.PROCESSING, ai_check=CheckState.PASS
    )
    assert public() is False
    MediaItem.objects.filter(pk=first.pk).update(state=MediaState.READY)
    assert public() is True
    second = MediaItem.objects.create(post=draft, kind=MediaKind.IMAGE, state=MediaState.READY)  # check pending
    assert public() is False  # a public post with an unchecked new item goes back to checking
    MediaItem.objects.filter(pk=second.pk).update(ai_check=CheckState.ERROR)
    assert public() is False
    MediaItem.objects.filter(pk=second.pk).update(ai_check=CheckState.REVIEW)
    assert public() is True
    MediaItem.objects.filter(pk=second.pk).update(state=MediaState.FAILED)
    assert public() is False
    second.delete()
    assert public() is True


def test_saving_details_from_an_older_copy_keeps_what_the_worker_wrote(draft, capture):
    item = add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture, process=False)
    opened_before_processing = Post.objects.get(pk=draft.pk)  # the composer page, say
    with capture(execute=True):
        media_item_process(item_id=item.pk, version=item.version)
    save_details(opened_before_processing, title="Autosaved")
    draft.refresh_from_db()
    assert (draft.title, draft.state, draft.items.get().state) == ("Autosaved", PostState.DRAFT, MediaState.READY)
    assert set(draft.covers) == {"thumbnail", "cover"}
