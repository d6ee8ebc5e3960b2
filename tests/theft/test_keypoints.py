"""The keypoint fingerprint: a crop of a fifth or a turn of a few degrees keeps enough corners that
agree on one transform and look like the original through it; different works that share generic
corners (the same words in the same font) do not pass; hostile pictures give no keypoints and no
error."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps
from skimage import data

from atelier.posts.models import PostState
from atelier.protection.theft import appearance, fingerprints, keypoints, verify
from atelier.protection.theft.index import nearest
from atelier.protection.theft.models import RepostMatch, Thumbnail
from tests.theft.test_reposts import encoded, posted

ARTWORK = Image.fromarray(data.astronaut())
OTHER_WORK = Image.fromarray(data.coffee())


def cropped_and_turned(image: Image.Image, degrees: float = 4.0) -> Image.Image:
    turned = image.rotate(degrees, Image.Resampling.BICUBIC)
    w, h = turned.size
    return turned.crop((int(w * 0.18), int(h * 0.05), int(w * 0.95), int(h * 0.85)))


def words_page(seed: int) -> Image.Image:
    """A page of the same few words in the same font, in another order for every seed."""
    rng = np.random.default_rng(seed)
    page = Image.new("RGB", (900, 700), (248, 248, 248))
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=22)
    words = ("Settings", "Profile", "Upload", "Gallery", "Followers", "Save changes")
    for y in range(40, 660, 40):
        line = " ".join(words[int(i)] for i in rng.integers(0, len(words), 5))
        draw.text((40, y), line, fill=(20, 20, 20), font=font)
    return page


def text_page(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    page = Image.new("L", (300, 640), 244)
    draw = ImageDraw.Draw(page)
    for y in range(0, 640, 14):
        line = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz    .,;")) for _ in range(40))
        draw.text((0, y), line, fill=30, font=ImageFont.load_default(size=12))
    return page


def verdict(copy: Image.Image, original: Image.Image) -> tuple[verify.Transform | None, bool]:
    """Compare the two pictures' verification corners as the index does, fit and look."""
    kept, asked = fingerprints.stored(original), fingerprints.query(copy)
    transform = verify.matched(keypoints.unpacked(asked.corners), keypoints.unpacked(kept.corners), kept.size)
    if transform is None:
        return None, False
    return transform, appearance.looks_alike(asked.gray, kept.thumbnail, kept.size, transform)


def test_a_cropped_and_turned_copy_agrees_on_the_transform_and_looks_alike():
    transform, alike = verdict(cropped_and_turned(ARTWORK), ARTWORK)
    assert transform is not None and transform.inliers >= 10
    # The crop is under the working size, so its pixels are the original's: scale 1, and a shift
    # of the crop's top-left corner. (A 4° turn moves corners by less than the tolerance over the
    # picture, so the fit may settle anywhere between 0 and 4°.)
    assert abs(np.sqrt(np.linalg.det(transform.matrix)) - 1) < 0.05
    assert np.hypot(*(transform.shift - (0.18 * 512, 0.05 * 512))) < 0.06 * 512
    assert alike


def test_a_different_work_does_not_pass():
    assert not verdict(OTHER_WORK, ARTWORK)[1]


def test_pages_of_the_same_words_in_the_same_font_are_not_one_work():
    """Corners of letters match across the two pages and even agree on shifts; the pictures do not."""
    assert not verdict(words_page(1), words_page(2))[1]
    assert not verdict(words_page(3), words_page(1))[1]


def test_the_mirror_keypoints_are_stored_the_upload_is_asked_upright():
    kept = fingerprints.stored(ARTWORK)
    upright = [one for one in kept.hashes if one.window == fingerprints.KEYPOINT]
    mirrored = [one for one in kept.hashes if one.window == fingerprints.KEYPOINT + fingerprints.MIRRORED]
    assert len(upright) == len(mirrored) == keypoints.STORED_KEYPOINTS
    assert all(len(one.value) == 32 for one in upright)
    asked = fingerprints.query(ARTWORK).hashes
    probes = sum(one.window == fingerprints.KEYPOINT for one in asked)
    most = keypoints.QUERY_KEYPOINTS + keypoints.QUERY_SPREAD_EXTRA + keypoints.RESCALED_KEYPOINTS * 2
    assert keypoints.QUERY_KEYPOINTS <= probes <= most
    assert not any(one.window == fingerprints.KEYPOINT + fingerprints.MIRRORED for one in asked)
    assert len(kept.thumbnail) == keypoints.THUMBNAIL**2 and kept.size == (512, 512)


@pytest.mark.parametrize(
    "gray",
    [
        np.zeros((0, 0), dtype=np.uint8),
        np.full((300, 300), 128, dtype=np.uint8),  # flat: no corner at all
        np.zeros((20, 20), dtype=np.uint8),  # smaller than a patch
        np.random.default_rng(0).integers(0, 256, (3, 2000), dtype=np.uint8),  # a sliver
    ],
    ids=["empty", "flat", "tiny", "sliver"],
)
def test_hostile_pictures_give_no_keypoints(gray):
    assert keypoints.detected(gray, 32) == []


def test_degenerate_matches_fit_no_transform():
    work = keypoints.unpacked(fingerprints.stored(ARTWORK).corners)
    assert verify.matched(work, work, (512, 512)) is not None  # the work itself: every corner agrees
    one_corner = (np.tile(work[0][:1], (12, 1)), np.tile(work[1][:1], (12, 1)))  # one corner twelve times
    assert verify.matched(one_corner, work, (512, 512)) is None  # matches nothing: its own runner-up is as near
    few = (work[0][:5], work[1][:5])
    assert verify.matched(few, work, (512, 512)) is None  # fewer than MIN_INLIERS
    empty = keypoints.unpacked(b"")
    assert verify.matched(empty, work, (512, 512)) is None and verify.matched(work, empty, (512, 512)) is None


def test_bits_apart_counts_every_pair_as_python_does():
    rng = np.random.default_rng(5)
    rows, columns = rng.integers(0, 256, (7, 32), dtype=np.uint8), rng.integers(0, 256, (3, 32), dtype=np.uint8)
    columns[0] = rows[2]  # one pair equal: 0 bits
    columns[1] = ~rows[4]  # one pair opposite: 256 bits
    bits = keypoints.bits_apart(rows.view(np.uint64), columns.view(np.uint64))
    expected = [[fingerprints.distance(a.tobytes(), b.tobytes()) for b in columns] for a in rows]
    assert bits.dtype == np.int32 and bits.tolist() == expected
    assert bits[2, 0] == 0 and bits[4, 1] == 256
    assert keypoints.bits_apart(rows[:0].view(np.uint64), columns.view(np.uint64)).shape == (0, 3)


def test_nearest_of_gives_the_k_nearest_rows_ties_to_the_first_as_python_does():
    """verify.py's mutual-nearest test depends on which of two equally near corners is named."""
    rng = np.random.default_rng(11)
    base = rng.integers(0, 256, (4, 32), dtype=np.uint8)  # few distinct corners: many exact ties
    stored = base[rng.integers(0, 4, 60)] ^ (rng.random((60, 32)) < 0.03).astype(np.uint8)
    asked = np.concatenate([stored[[5, 5, 17]], base[rng.integers(0, 4, 40)]])  # some equal to a stored row
    bits, nearest = keypoints.nearest_of(asked, stored, 3)
    for row, one in enumerate(asked):
        distances = [fingerprints.distance(one.tobytes(), other.tobytes()) for other in stored]
        expected = sorted(range(len(stored)), key=lambda at: (distances[at], at))[:3]
        assert nearest[row].tolist() == expected
        assert bits[row].tolist() == [distances[at] for at in expected]
    first_equal = [next(at for at in range(60) if (stored[at] == stored[one]).all()) for one in (5, 17)]
    assert bits[0, 0] == bits[2, 0] == 0 and nearest[0, 0] == first_equal[0] and nearest[2, 0] == first_equal[1]
    assert first_equal[1] < 17  # a duplicate stored row came first: the tie went to it
    bits, nearest = keypoints.nearest_of(asked[:0], stored, 2)
    assert bits.shape == nearest.shape == (0, 2)


def test_verification_corners_pack_and_unpack_exactly():
    found = keypoints.detected(np.asarray(ARTWORK.convert("L")), keypoints.VERIFY_KEYPOINTS)
    geometry, words = keypoints.unpacked(keypoints.packed(found))
    assert len(found) == keypoints.VERIFY_KEYPOINTS == len(geometry)
    assert np.allclose(geometry, [(p.x, p.y, p.size, p.angle) for p in found], atol=1e-3)
    assert words.shape == (len(found), 32) and words.tobytes() == b"".join(p.descriptor for p in found)
    assert keypoints.packed([]) == b""


def test_a_cropped_page_of_text_correlates_through_the_right_transform():
    """A tall page: each thumbnail cell is taller than wide in the upload too. A square cell left the
    lines of text aliased and a copy's correlation at 0.1–0.6 (bench/theft.py, scans)."""
    page = text_page(4)
    gray = np.asarray(page)
    thumbnail = keypoints.thumbnail(gray)
    left, top = 24, 80
    copy = np.ascontiguousarray(gray[top:600, left:280])
    transform = verify.Transform(matrix=np.eye(2), shift=np.array([left, top], dtype=float), inliers=20)
    assert appearance.resemblance(copy, thumbnail, page.size, transform) >= 0.95
    wrong = verify.Transform(matrix=np.eye(2), shift=np.array([left, top + 7], dtype=float), inliers=20)
    assert appearance.resemblance(copy, thumbnail, page.size, wrong) < appearance.MIN_NCC  # half a line off


def test_a_fit_a_little_off_is_settled_when_many_corners_agree_on_it():
    """RANSAC's fit is within TOLERANCE of the corners, and on a page of text 1 % of scale is a line
    off at the far edge (bench/theft.py: framed screenshots through fits of 28-41 corners correlated
    at 0.92-0.93). A fit that AGREED_INLIERS corners agree on may be moved by half a cell and 1 %;
    one of fewer may not (distinct charts' fits of 8-14 corners were lifted past MIN_NCC)."""
    page = text_page(4)
    gray, thumbnail = np.asarray(page), keypoints.thumbnail(np.asarray(page))
    copy = np.ascontiguousarray(gray[80:600, 24:280])

    def fit(inliers: int, scale: float = 1.0, down: float = 0.0) -> verify.Transform:
        return verify.Transform(matrix=np.eye(2) * scale, shift=np.array([24, 80 + down]), inliers=inliers)

    assert appearance.resemblance(copy, thumbnail, page.size, fit(20, scale=0.99)) < appearance.MIN_NCC
    assert appearance.looks_alike(copy, thumbnail, page.size, fit(appearance.AGREED_INLIERS, scale=0.99))
    assert appearance.looks_alike(copy, thumbnail, page.size, fit(20, down=10))  # half a cell
    assert not appearance.looks_alike(copy, thumbnail, page.size, fit(appearance.AGREED_INLIERS - 1, scale=0.99))
    assert not appearance.looks_alike(copy, thumbnail, page.size, fit(20, down=3))  # a sixth of a cell: not a step
    other = np.ascontiguousarray(np.asarray(text_page(5))[80:600, 24:280])  # the same font, other words
    assert not appearance.looks_alike(other, thumbnail, page.size, fit(40))


def test_a_flat_upload_never_looks_like_anything():
    transform = verify.Transform(matrix=np.eye(2), shift=np.zeros(2), inliers=9)
    thumbnail = keypoints.thumbnail(np.asarray(ARTWORK.convert("L")))
    flat = np.full((512, 512), 90, dtype=np.uint8)
    assert not appearance.looks_alike(flat, thumbnail, (512, 512), transform)
    far_away = verify.Transform(matrix=np.eye(2), shift=np.array([5000.0, 0.0]), inliers=9)
    assert not appearance.looks_alike(np.asarray(ARTWORK.convert("L")), thumbnail, (512, 512), far_away)


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_cropped_turned_mirrored_copy_is_held_through_the_keypoints(make_user, django_capture_on_commit_callbacks):
    artist, thief = make_user("ines"), make_user("bram")
    original, item = posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks)
    assert Thumbnail.objects.filter(item=item).exists()
    copy = ImageOps.mirror(cropped_and_turned(ARTWORK, -2))
    asked = fingerprints.query(copy)
    pdq_only = [one for one in asked.hashes if one.corner is None]
    assert nearest(hashes=pdq_only, exclude_author_id=thief.pk) == []  # out of PDQ's reach
    (found,) = nearest(hashes=asked.hashes, gray=asked.gray, corners=asked.corners, exclude_author_id=thief.pk)
    assert found.stored_window == fingerprints.KEYPOINT + fingerprints.MIRRORED
    assert nearest(hashes=asked.hashes, exclude_author_id=thief.pk) == []  # no picture, no keypoint match
    held, _ = posted(thief, encoded(copy, "JPEG", quality=80), django_capture_on_commit_callbacks)
    assert held.state == PostState.HELD
    assert RepostMatch.objects.get().original_post_id == original.pk


def test_matches_turned_alike_are_counted_across_the_wrap_and_chance_turns_are_not():
    def count(query, stored):
        return int(verify._turned_alike(query, stored).sum())

    assert count(np.array([]), np.array([])) == 0
    query = np.array([350.0, 355.0, 2.0, 10.0, 120.0])
    assert count(query, query + 4.0) == 5  # one turn of 4°, across 0°/360°
    assert count(query, (query + 180.0) % 360) == 5  # upside down is a turn like any other
    turns = np.random.default_rng(2).uniform(0, 360, 40)
    assert count(np.zeros(40), turns) < 20  # chance matches turn every way
