"""Covers drawn before the post's checks settled carry no source claim; once it goes public they are
signed as stored (posts.covers.post_covers_sign), not drawn again: same pixels, new names, a valid
manifest stating the source, no decode and no encode. And a crop too small for the two largest
cover boxes is encoded once, not once per box."""

import io
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from atelier.media.content_credentials import read
from atelier.media.crops import CropBox
from atelier.media.models import MediaItem
from atelier.media.states import CheckState
from atelier.posts import media_checks, services
from atelier.posts.covers import post_covers_sign
from atelier.posts.files import cover_names
from atelier.posts.models import Post, PostState
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import (
    expected_public_files,
    files_in_public_storage,
    files_withheld,
    publish,
    read_public,
)

pytestmark = pytest.mark.django_db

LEFT_HALF = CropBox(x=0.0, y=0.0, width=0.5, height=0.5)  # 3:2 on a 3:2 picture


@pytest.fixture
def encodes(monkeypatch):
    """The WebP and AVIF files Pillow writes (a spy on Pillow's save registry, not on our code)."""
    Image.init()  # the plugins register their writers
    made: list[tuple[str, tuple[int, int]]] = []
    for fmt in ("WEBP", "AVIF"):
        real = Image.SAVE[fmt]

        def counting(image, fp, filename, real=real, fmt=fmt):
            made.append((fmt, image.size))
            return real(image, fp, filename)

        monkeypatch.setitem(Image.SAVE, fmt, counting)
    return made


def rendered_before_the_verdict(draft, capture, data: bytes) -> MediaItem:
    """Add a file and run its rendering (and the covers it queues), but not its AI check: the
    surge's usual order when the media queue is the shorter one."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "upload")
        path.write_bytes(data)
        with capture(execute=False) as queued:
            item = services.media_add_file(post=draft, user=draft.author, path=path)
    with capture(execute=True):
        queued[0]()  # process_media_item; the next one announces the check, which stays pending
    item.refresh_from_db()
    assert item.ai_check == CheckState.PENDING and item.is_ready
    return item


def pixels(name: str) -> bytes:
    image = Image.open(io.BytesIO(read_public(name)))
    return image.convert("RGB").tobytes()


def test_covers_drawn_before_the_verdict_are_signed_as_they_are(draft, capture, decodes, encodes):
    item = rendered_before_the_verdict(draft, capture, quadrant_bytes("JPEG", (1200, 800), quality=90))
    post = publish(draft, capture=capture)
    assert post.state == PostState.CHECKING and set(post.covers) == {"thumbnail", "cover"}
    assert all(cover["source"] is None for cover in post.covers.values())
    before = {
        kind: [(size["w"], size["h"], pixels(size["name"])) for size in cover["sizes"]]
        for kind, cover in post.covers.items()
    }
    unsigned_names = set(cover_names(post.covers))
    decodes.clear()
    encodes.clear()

    with capture(execute=True):
        media_checks.item_check_record(item_id=item.pk, check=CheckState.PASS)
    post.refresh_from_db()

    assert post.state == PostState.PUBLIC
    assert decodes == [] and encodes == []  # nothing drawn again
    assert all(cover["source"] == "digitalCreation" for cover in post.covers.values())
    after = {
        kind: [(size["w"], size["h"], pixels(size["name"])) for size in cover["sizes"]]
        for kind, cover in post.covers.items()
    }
    assert after == before
    assert not unsigned_names & set(cover_names(post.covers))  # a URL never changes what it shows
    for name in cover_names(post.covers):
        manifest, state = read(read_public(name), "avif" if name.endswith(".avif") else "webp")
        assert state == "Valid", name
        actions = [a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions")]
        assert "/digitalCreation" in str(actions), (name, actions)
    assert expected_public_files(post) <= files_in_public_storage()


def test_a_cover_drawn_again_meanwhile_is_left_to_that_drawing(draft, capture):
    item = rendered_before_the_verdict(draft, capture, quadrant_bytes("JPEG", (1200, 800), quality=90))
    post = publish(draft, capture=capture)
    old_version = post.covers_version
    with capture(execute=False):  # the author picks another crop: its drawing is queued, not run yet
        services.post_set_crop(post=post, user=post.author, kind="cover", item=item, crop=LEFT_HALF)
    stored = files_in_public_storage() | files_withheld()
    assert post_covers_sign(post_id=post.pk, version=old_version) is False
    assert files_in_public_storage() | files_withheld() == stored  # nothing signed, nothing left behind
    assert Post.objects.get(pk=post.pk).covers == post.covers


def test_without_content_credentials_the_claim_is_recorded_and_nothing_redrawn(settings, draft, capture, encodes):
    settings.C2PA_CONTENT_CREDENTIALS = False
    item = rendered_before_the_verdict(draft, capture, quadrant_bytes("JPEG", (1200, 800), quality=90))
    post = publish(draft, capture=capture)
    names = cover_names(post.covers)
    encodes.clear()
    with capture(execute=True):
        media_checks.item_check_record(item_id=item.pk, check=CheckState.PASS)
    post.refresh_from_db()
    assert post.state == PostState.PUBLIC and encodes == []
    assert cover_names(post.covers) == names
    assert all(cover["source"] == "digitalCreation" for cover in post.covers.values())


def test_a_crop_smaller_than_two_boxes_is_encoded_once(draft, capture, encodes):
    # 960×640: the cover's 1440×960 box and its 960×640 box both get the crop itself.
    rendered_before_the_verdict(draft, capture, quadrant_bytes("JPEG", (960, 640), quality=90))
    post = Post.objects.get(pk=draft.pk)
    assert sorted((size["w"], size["h"]) for size in post.covers["cover"]["sizes"]) == [(480, 320), (960, 640)]
    cover_encodes = [made for made in encodes if made[1] in ((960, 640), (480, 320))]
    # The item's own renditions: 960 and 320 px WebP wide, nothing at 480. The cover: each size once.
    assert cover_encodes.count(("WEBP", (960, 640))) == 2  # the item's full size and the cover's
    assert cover_encodes.count(("AVIF", (960, 640))) == 1
    assert cover_encodes.count(("WEBP", (480, 320))) == cover_encodes.count(("AVIF", (480, 320))) == 1
