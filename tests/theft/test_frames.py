"""A copy inside a frame (a screenshot's window with a title bar and a grey margin, a mat) is found:
the frame is trimmed line by line, pass after pass, so a work with its own flat white margin loses
the same margin whether it came framed or not. A sparse interface that trim would empty keeps all
but its margin. A different work in the same frame is not found, and the lookup keeps to matchable
hashes by other people, closest first."""

from dataclasses import replace

import numpy as np
import pdqhash
import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps
from skimage import data

from atelier.posts.models import PostState
from atelier.protection.theft import appearance, fingerprints, keypoints, verify
from atelier.protection.theft.index import MATCH_DISTANCE, nearest
from atelier.protection.theft.models import Fingerprint, RepostMatch
from tests.theft.test_reposts import encoded, posted

ARTWORK = Image.fromarray(data.astronaut())
OTHER_WORK = Image.fromarray(data.chelsea())


def on_white(image: Image.Image, margin: float = 0.12) -> Image.Image:
    """The work as an illustrator posts it: on its own white page."""
    pad = round(max(image.size) * margin)
    page = Image.new("RGB", (image.width + 2 * pad, image.height + 2 * pad), (255, 255, 255))
    page.paste(image, (pad, pad))
    return page


def screenshot(image: Image.Image, pad: int = 60, bar: int = 44) -> Image.Image:
    """A window around the picture: a dark title bar with its name and a grey margin."""
    frame = Image.new("RGB", (image.width + 2 * pad, image.height + 2 * pad + bar), (226, 224, 230))
    draw = ImageDraw.Draw(frame)
    draw.rectangle((0, 0, frame.width, bar), fill=(40, 40, 48))
    draw.text((10, bar // 4), "work.png — Viewer", fill=(230, 230, 230), font=ImageFont.load_default(size=bar // 2))
    frame.paste(image, (pad, pad + bar))
    return frame


def sparse_interface(seed: int = 0) -> Image.Image:
    """A settings page: a title bar, short menu entries down its left side and a button on the right
    of a dark page. Each of its lines is at least FLAT_SHARE one grey, so the frame trim takes
    MAX_TRIM of every side and leaves the empty middle."""
    rng = np.random.default_rng(seed)
    page = Image.new("RGB", (1200, 700), (32, 33, 36))
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, 1200, 36), fill=(70, 90, 230))
    words = ("Settings", "Profile", "Upload", "Gallery", "Followers", "Privacy")
    for y in range(60, 660, 36):
        entry = " ".join(words[int(i)] for i in rng.integers(0, len(words), int(rng.integers(1, 3))))
        draw.text((int(rng.integers(20, 60)), y), entry, fill=(230, 230, 230), font=ImageFont.load_default(size=14))
    draw.rounded_rectangle((1000, 480, 1180, 512), radius=8, fill=(20, 130, 200))
    return page


def closest(query: Image.Image, original: Image.Image) -> int:
    """The closest PDQ hashes of the two (keypoint descriptors match only with geometry, test_keypoints.py)."""
    return min(
        fingerprints.distance(asked.value, kept.value)
        for asked in fingerprints.query_hashes(query)
        for kept in fingerprints.stored_hashes(original)
        if asked.corner is None and kept.corner is None
    )


@pytest.mark.parametrize("work", [ARTWORK, on_white(ARTWORK)], ids=["photo", "on-its-own-white-page"])
def test_a_framed_screenshot_lands_near_the_original(work):
    # Well inside the reach (MATCH_DISTANCE), as near as they came when the reach was 40 bits.
    assert closest(screenshot(work), work) <= 20
    assert closest(ImageOps.mirror(screenshot(work, pad=25, bar=30)), work) <= 20


def test_the_frame_and_the_works_own_white_margin_are_both_trimmed():
    framed = fingerprints.prepared(screenshot(on_white(ARTWORK)))
    bare = fingerprints.prepared(ARTWORK)
    assert abs(framed.width - bare.width) <= 8 and abs(framed.height - bare.height) <= 8


def test_an_interface_the_frame_trim_would_empty_is_kept_within_its_margin_only():
    interface = sparse_interface()
    emptied = fingerprints.prepared(interface)
    assert pdqhash.compute(np.asarray(emptied))[1] < fingerprints.MIN_QUALITY  # too flat to hash: unprotected
    kept = fingerprints.stored(interface)
    assert kept.hashes and kept.size == fingerprints.prepared(interface, fingerprints.FRAME_SHARE).size
    # A copy cropped into its menu is found by its corners, the whole page on both sides.
    asked = fingerprints.query(interface.crop((60, 40, 1150, 690)))
    transform = verify.matched(keypoints.unpacked(asked.corners), keypoints.unpacked(kept.corners), kept.size)
    assert transform is not None and appearance.looks_alike(asked.gray, kept.thumbnail, kept.size, transform)
    # The page with nothing on it is still too flat to tell apart, however it is trimmed.
    blank = Image.new("RGB", (1200, 700), (32, 33, 36))
    ImageDraw.Draw(blank).rectangle((0, 0, 1200, 36), fill=(70, 90, 230))
    assert fingerprints.stored(blank).hashes == [] and fingerprints.query(blank).hashes == []


def test_a_different_work_in_the_same_frame_is_far():
    # Far beyond the reach (random hashes are 128 bits apart).
    assert closest(screenshot(on_white(OTHER_WORK)), on_white(ARTWORK)) > MATCH_DISTANCE + 32


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_screenshot_of_someone_elses_work_is_held(make_user, django_capture_on_commit_callbacks):
    artist, thief = make_user("ines"), make_user("bram")
    original, _ = posted(artist, encoded(on_white(ARTWORK)), django_capture_on_commit_callbacks)
    framed = encoded(screenshot(on_white(ARTWORK)), "JPEG", quality=80)
    copy, _ = posted(thief, framed, django_capture_on_commit_callbacks)
    assert copy.state == PostState.HELD
    assert RepostMatch.objects.get().original_post_id == original.pk
    other, _ = posted(thief, encoded(screenshot(on_white(OTHER_WORK))), django_capture_on_commit_callbacks)
    assert other.state == PostState.PUBLIC


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_crop_of_an_interface_the_frame_trim_would_empty_is_held(make_user, django_capture_on_commit_callbacks):
    artist, thief = make_user("ines"), make_user("bram")
    original, _ = posted(artist, encoded(sparse_interface()), django_capture_on_commit_callbacks)
    cropped = encoded(sparse_interface().crop((60, 40, 1150, 690)), "JPEG", quality=85)
    copy, _ = posted(thief, cropped, django_capture_on_commit_callbacks)
    assert copy.state == PostState.HELD
    assert RepostMatch.objects.get().original_post_id == original.pk
    another, _ = posted(thief, encoded(sparse_interface(seed=1)), django_capture_on_commit_callbacks)
    assert another.state == PostState.PUBLIC


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_the_lookup_returns_other_peoples_matchable_hashes_closest_first(make_user, django_capture_on_commit_callbacks):
    artist, thief = make_user("ines"), make_user("bram")
    posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks)
    query = fingerprints.query_hashes(ImageOps.mirror(ARTWORK))
    (found,) = nearest(hashes=query, exclude_author_id=thief.pk)
    assert found.author_id == artist.pk and found.distance <= MATCH_DISTANCE
    assert found.query_window >= fingerprints.MIRRORED  # the mirror of the copy is what matched
    assert nearest(hashes=query, exclude_author_id=artist.pk) == []
    assert nearest(hashes=query, max_distance=-1) == []
    assert nearest(hashes=[]) == []
    Fingerprint.objects.update(matchable=False)
    assert nearest(hashes=query) == []


def _each_chunk_one_bit_off(value: bytes) -> bytes:
    """`value` with the lowest bit of each of its 16 chunks flipped: 16 bits apart, no chunk shared."""
    return bytes(byte ^ 1 if n % 2 else byte for n, byte in enumerate(value))


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_whole_picture_hash_sharing_no_chunk_is_found_one_bit_away(make_user, django_capture_on_commit_callbacks):
    """The multi-index finds for certain only hashes within 15 bits; a stamped copy 34-50 bits off may
    share no chunk whole (bench/theft.py). Every chunk of a PDQ query hash is also asked one bit away."""
    artist, thief = make_user("ines"), make_user("bram")
    posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks)
    stored = bytes(Fingerprint.objects.get(window=fingerprints.WHOLE).value)
    whole = next(one for one in fingerprints.query_hashes(ARTWORK) if one.window == fingerprints.WHOLE)
    off = replace(whole, value=_each_chunk_one_bit_off(stored))
    assert fingerprints.distance(off.value, stored) == 16
    (found,) = nearest(hashes=[off], exclude_author_id=thief.pk)
    assert found.distance == 16 and found.author_id == artist.pk
    # Three bits off in every chunk (48 in all, within MATCH_DISTANCE) is past the statement's reach.
    two_off = replace(off, value=_each_chunk_one_bit_off(bytes(byte ^ 2 for byte in stored)))
    assert fingerprints.distance(two_off.value, stored) == 32 + 16
    assert nearest(hashes=[two_off], exclude_author_id=thief.pk) == []


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_centre_hash_sharing_no_chunk_is_found_one_bit_away(make_user, django_capture_on_commit_callbacks):
    """A stamped sprite's whole picture lies past MATCH_DISTANCE with the stamp in it, its centre still
    within reach but sharing no chunk whole (bench/theft.py, stamp): the centre is asked one bit away too."""
    artist, thief = make_user("ines"), make_user("bram")
    posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks)
    stored = bytes(Fingerprint.objects.get(window=fingerprints.CENTRE).value)
    centre = next(one for one in fingerprints.query_hashes(ARTWORK) if one.window == fingerprints.CENTRE)
    (found,) = nearest(hashes=[replace(centre, value=_each_chunk_one_bit_off(stored))], exclude_author_id=thief.pk)
    assert found.distance == 16 and found.stored_window == fingerprints.CENTRE and found.author_id == artist.pk
