"""A copy with a signature or a watermark box stamped on it: the one region it covers is left out of
the comparison (appearance._stamped), for whole pictures only, so a thief's stamp does not hide a copy of
line art or pixel art, whose few dark lines a stamp outweighs."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from atelier.protection.theft import appearance, fingerprints, keypoints, verify
from atelier.protection.theft.index import nearest_to
from tests.theft.test_reposts import encoded, posted


def line_art(seed: int) -> Image.Image:
    """Thin outlines of shapes all over a pale page: little but lines, as ink drawings are."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (640, 480), (245, 240, 230))
    draw = ImageDraw.Draw(image)
    for _ in range(70):
        x, y, r = int(rng.integers(-30, 620)), int(rng.integers(-30, 460)), int(rng.integers(20, 70))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        if rng.random() < 0.5:
            draw.ellipse((x, y, x + r, y + r), outline=colour, width=4)
        else:
            draw.polygon([(x, y), (x + r, y + r // 3), (x + r // 2, y + r)], outline=colour, width=4)
    return image


def stamped(image: Image.Image) -> Image.Image:
    """A dark box with the thief's name over the bottom right, as watermarking apps put it."""
    copy = image.copy()
    draw = ImageDraw.Draw(copy, "RGBA")
    w, h = copy.size
    draw.rectangle((int(w * 0.5), int(h * 0.82), int(w * 0.95), int(h * 0.95)), fill=(0, 0, 0, 160))
    draw.text(
        (int(w * 0.52), int(h * 0.84)), "© thief", fill=(255, 255, 255, 255), font=ImageFont.load_default(size=40)
    )
    return copy


def compared(work: Image.Image, upload: Image.Image):
    """(the stored side of `work`, the upload's query, the transform their corners agree on)."""
    kept, asked = fingerprints.stored(work), fingerprints.query(upload)
    through = verify.matched(
        keypoints.unpacked(asked.corners + asked.rescaled), keypoints.unpacked(kept.corners), kept.size
    )
    assert through is not None
    return kept, asked, through


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_line_art_with_a_box_stamped_on_still_looks_like_the_work(seed):
    kept, asked, through = compared(line_art(seed), stamped(line_art(seed)))
    assert (
        appearance.resemblance(asked.gray, kept.thumbnail, kept.size, through) < appearance.MIN_NCC
    )  # the box outweighs
    assert appearance.looks_alike(asked.gray, kept.thumbnail, kept.size, through)


def test_another_drawing_in_the_same_style_does_not_look_alike():
    kept = fingerprints.stored(line_art(1))
    other = fingerprints.query(stamped(line_art(11)))
    same_place = verify.Transform(matrix=np.eye(2), shift=np.zeros(2), inliers=0)
    assert not appearance.looks_alike(other.gray, kept.thumbnail, kept.size, same_place)


def thumbnail_pair(rng):
    cells = rng.uniform(0, 255, (32, 32)).astype(np.float32)
    return cells, cells + rng.normal(0, 2, (32, 32)).astype(np.float32)


def test_one_compact_region_apart_is_left_out():
    cells, seen = thumbnail_pair(np.random.default_rng(4))
    seen[26:30, 14:30] = 20  # the box
    inside = np.ones(1024, dtype=bool)
    assert appearance._ncc(seen.ravel(), cells.ravel()) < appearance.MIN_NCC
    assert appearance._stamped(seen.ravel(), cells.ravel(), inside)


def test_regions_apart_all_over_are_not_a_stamp():
    cells, seen = thumbnail_pair(np.random.default_rng(4))
    seen[26:30, 14:30] = 20
    seen[2:6, 2:12] = 250  # a second region, far from the first: two pictures that differ, not a stamp
    assert not appearance._stamped(seen.ravel(), cells.ravel(), np.ones(1024, dtype=bool))


def test_a_region_is_left_out_only_with_the_whole_work_in_view():
    """Through a transform that lays part of one picture on another, leaving a region out would make
    distinct charts alike (bench/theft.py): under STAMP_OVERLAP of the work in view, nothing is."""
    cells, seen = thumbnail_pair(np.random.default_rng(4))
    seen[26:30, 14:30] = 20
    inside = np.ones((32, 32), dtype=bool)
    inside[:, :8] = False  # a quarter of the work outside the upload
    assert not appearance._stamped(seen[inside], cells[inside], inside.ravel())


def test_a_region_larger_than_a_stamp_is_not_left_out():
    cells, seen = thumbnail_pair(np.random.default_rng(4))
    seen[10:24, 4:28] = 20  # a third of the picture
    assert not appearance._stamped(seen.ravel(), cells.ravel(), np.ones(1024, dtype=bool))


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_stamped_copy_of_line_art_is_found_by_the_lookup(artist, thief, django_capture_on_commit_callbacks):
    _, item = posted(artist, encoded(line_art(2)), django_capture_on_commit_callbacks)
    found = nearest_to(fingerprints.query(stamped(line_art(2))), exclude_author_id=thief.pk)
    assert [near.item_id for near in found] == [item.pk]


def test_each_cell_compared_is_the_uploads_mean_over_that_cell():
    """appearance._compared reads the upload's mean over each thumbnail cell off its summed-area table:
    the same numbers as averaging the pixels, cut at the picture's edges."""
    gray = np.random.default_rng(9).integers(0, 256, (96, 128)).astype(np.uint8)
    thumbnail = bytes(32 * 32)
    through = verify.Transform(matrix=np.eye(2), shift=np.zeros(2), inliers=0)
    seen, _, inside = appearance._compared(gray, thumbnail, (128, 96), through, None)
    assert inside.all()
    cell_w, cell_h = 4, 3  # 128 / 32 and 96 / 32 pixels
    x = np.rint((np.arange(32) + 0.5) * 4).astype(int)
    y = np.rint((np.arange(32) + 0.5) * 3).astype(int)
    expected = [
        gray[
            max(0, b - cell_h // 2) : b - cell_h // 2 + cell_h, max(0, a - cell_w // 2) : a - cell_w // 2 + cell_w
        ].mean()
        for b in y
        for a in x
    ]
    np.testing.assert_allclose(seen, expected, rtol=1e-5)


def test_many_works_compared_at_once_score_as_each_alone():
    """appearance.resemblances (ranking.by_resemblance's one numpy pass) gives what appearance.resemblance
    gives work by work, NaN where too little of a work is in view."""
    art = line_art(5)
    kept, asked = fingerprints.stored(art), fingerprints.query(art.crop((40, 30, 600, 450)))
    others = [fingerprints.stored(line_art(seed)) for seed in (6, 7)]
    turn = np.radians(3)
    transforms = [
        verify.Transform(matrix=np.eye(2) * 1.07, shift=np.array([40.0, 30.0]) * 0.8, inliers=0),
        verify.Transform(matrix=0.9 * np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]]),
                         shift=np.array([12.0, -5.0]), inliers=0),
        verify.Transform(matrix=np.eye(2) * 0.3, shift=np.array([400.0, 300.0]), inliers=0),  # mostly out of view
    ]  # fmt: skip
    works = [kept, *others]
    together = appearance.resemblances(
        asked.gray, [one.thumbnail for one in works], [one.size for one in works], transforms
    )
    alone = [
        appearance.resemblance(asked.gray, one.thumbnail, one.size, through)
        for one, through in zip(works, transforms, strict=True)
    ]
    assert alone[2] is None and np.isnan(together[2])
    np.testing.assert_allclose(together[:2], alone[:2], rtol=1e-4)


def test_through_a_fit_many_corners_agree_on_the_rest_of_a_stamped_work_needs_only_min_ncc():
    """A stamped scan or page correlates at 0.97-0.98 once its stamp is left out (bench/theft.py),
    under STAMP_MIN_NCC: that bar is for fits of few corners (charts on one layout). Through a fit of
    AGREED_INLIERS corners the rest needs MIN_NCC, as a copy without a stamp does."""
    rng = np.random.default_rng(9)
    cells = rng.uniform(0, 255, (32, 32))
    seen = np.clip(cells + rng.normal(0, 21, (32, 32)), 0, 255)
    seen[26:30, 14:30] = 20  # the box
    assert appearance.MIN_NCC < appearance._ncc(seen[:24].ravel(), cells[:24].ravel()) < appearance.STAMP_MIN_NCC
    gray = np.kron(seen.astype(np.uint8), np.ones((16, 16), dtype=np.uint8))  # each thumbnail cell 16 px
    thumbnail = cells.astype(np.uint8).tobytes()

    def fit(inliers: int) -> verify.Transform:
        return verify.Transform(matrix=np.eye(2), shift=np.zeros(2), inliers=inliers)

    assert appearance.looks_alike(gray, thumbnail, (512, 512), fit(appearance.AGREED_INLIERS))
    assert not appearance.looks_alike(gray, thumbnail, (512, 512), fit(appearance.AGREED_INLIERS - 1))
    other = np.kron(rng.uniform(0, 255, (32, 32)).astype(np.uint8), np.ones((16, 16), dtype=np.uint8))
    assert not appearance.looks_alike(other, thumbnail, (512, 512), fit(60))  # another picture, however many agree
