"""An upload probes the index with its strongest corners and, where those leave the picture bare, a
few more: a signature stamped on flat art is the most contrasted thing in it, and by strength alone
its letters took every probe, leaving none on the work the copy shares with its original."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from atelier.posts.models import PostState
from atelier.protection.theft import fingerprints, keypoints
from atelier.protection.theft.index import nearest_to
from atelier.protection.theft.models import Fingerprint
from tests.theft.test_reposts import encoded, posted

STAMP_BOX = (300, 440, 512, 500)


def flat_work(seed: int = 0) -> Image.Image:
    """Flat illustration: a few irregular filled shapes on a plain ground, few corners of its own."""
    rng = np.random.default_rng(seed)
    picture = Image.new("RGB", (512, 512), tuple(int(v) for v in rng.integers(150, 230, 3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(8):
        centre, radius = rng.integers(60, 420, 2), rng.integers(30, 90)
        turns = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 7))))
        reach = radius * rng.uniform(0.5, 1.0, len(turns))
        corners = [
            (float(centre[0] + r * np.cos(t)), float(centre[1] + r * np.sin(t)))
            for r, t in zip(reach, turns, strict=True)
        ]
        draw.polygon(corners, fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return picture


def stamped(picture: Image.Image) -> Image.Image:
    """A signature in the corner: white letters on a dark box, as reposters stamp them."""
    copy = picture.copy()
    draw = ImageDraw.Draw(copy, "RGBA")
    draw.rectangle(STAMP_BOX, fill=(0, 0, 0, 140))
    font = ImageFont.load_default(size=40)
    draw.text((STAMP_BOX[0] + 6, STAMP_BOX[1] + 6), "© kqzvrwmj", fill=(255, 255, 255, 255), font=font)
    return copy


def on_the_work(found) -> int:
    """How many corners lie away from the stamp."""
    left, top, right, bottom = STAMP_BOX
    return sum(not (left - 16 <= one.x <= right + 16 and top - 16 <= one.y <= bottom + 16) for one in found)


def test_the_stamps_letters_take_the_strongest_probes_and_the_extra_ones_go_to_the_work():
    gray = keypoints.grey(stamped(flat_work()))
    strongest = keypoints.detected(gray, keypoints.QUERY_KEYPOINTS)
    candidates = keypoints.detected(gray, keypoints.VERIFY_KEYPOINTS)

    extra = keypoints.spread_extra(strongest, candidates, gray.shape, keypoints.QUERY_SPREAD_EXTRA)

    assert on_the_work(strongest) <= keypoints.QUERY_KEYPOINTS // 4  # the letters took the rest
    assert len(extra) >= 5
    assert on_the_work(extra) == len(extra)
    assert not {one.descriptor for one in extra} & {one.descriptor for one in strongest}


def test_no_cell_gets_more_than_its_share_and_a_picture_the_strongest_cover_gets_few_extras():
    gray = keypoints.grey(Image.new("RGB", (512, 512), (200, 200, 200)))
    found = [keypoints.Keypoint(x=40.0 + i, y=40.0, size=31.0, angle=0.0, descriptor=bytes([i]) * 32) for i in range(7)]
    same_cell = [
        keypoints.Keypoint(x=60.0 + i, y=60.0, size=31.0, angle=0.0, descriptor=bytes([100 + i]) * 32) for i in range(5)
    ]
    elsewhere = [keypoints.Keypoint(x=400.0, y=400.0, size=31.0, angle=0.0, descriptor=bytes([200]) * 32)]

    extra = keypoints.spread_extra(found, same_cell + elsewhere, gray.shape, 9)

    # (7 + 9) / 8 = 2 a cell: the crowded cell gets none more, the bare one its corner.
    assert extra == elsewhere


@pytest.mark.parametrize("side", [1, 31, 40])
def test_tiny_and_flat_pictures_give_no_probes_and_no_error(side):
    gray = np.full((side, side), 128, dtype=np.uint8)
    strongest = keypoints.detected(gray, keypoints.QUERY_KEYPOINTS)
    assert keypoints.spread_extra(strongest, [], gray.shape, keypoints.QUERY_SPREAD_EXTRA) == []


@pytest.mark.django_db
def test_a_stamped_copy_of_flat_art_is_found_through_the_extra_probes(
    artist, thief, django_capture_on_commit_callbacks
):
    original, item = posted(artist, encoded(flat_work()), django_capture_on_commit_callbacks, title="Shapes")
    assert original.state == PostState.PUBLIC
    stored = Fingerprint.objects.filter(item=item, kp_x__isnull=False)
    indexed = {
        (i, bytes(value)[i : i + 4]) for value in stored.values_list("value", flat=True) for i in range(0, 32, 4)
    }
    asked = fingerprints.query(stamped(flat_work()))
    strongest = [one for one in asked.hashes if one.corner is not None][: keypoints.QUERY_KEYPOINTS]

    def shares_a_key(value: bytes) -> bool:  # the index finds a row through a 32-bit key shared whole
        return any((i, value[i : i + 4]) in indexed for i in range(0, 32, 4))

    assert not any(shares_a_key(one.value) for one in strongest)  # by strength alone: nothing to find
    assert any(item.pk == near.item_id for near in nearest_to(asked, exclude_author_id=thief.pk))
