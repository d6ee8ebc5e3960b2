"""Works made of repeated corners (a bar chart: the same right angle at every bar): their distinctive
corners are too few for `verify.matched`, so a crop is fitted on the corners left out as repeated
(`verify.matched_repeated`) and must still look like the original through the fit. Another chart on
the same axes, a flat picture and noise must not pass."""

from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image, ImageDraw, ImageFont

from atelier.posts.models import PostState
from atelier.protection.theft import appearance, fingerprints, keypoints, verify
from atelier.protection.theft import index as theft_index
from atelier.protection.theft.index import FEW_CORNERS, REPEATED_GROUPS, nearest_to
from atelier.protection.theft.models import RepostMatch, Thumbnail
from tests.theft.test_reposts import encoded, posted

FONT = ImageFont.load_default(size=20)


def bar_chart(seed: int) -> Image.Image:
    """Bars of one colour on the same axes, their heights drawn from `seed`."""
    rng = np.random.default_rng(seed)
    size = (900, 600)
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.line((60, size[1] - 50, size[0] - 30, size[1] - 50), fill=(0, 0, 0), width=2)
    draw.line((60, 30, 60, size[1] - 50), fill=(0, 0, 0), width=2)
    values = rng.uniform(0.1, 1.0, 10)
    step = (size[0] - 120) / len(values)
    for index, value in enumerate(values):
        x = 70 + index * step
        draw.rectangle((x, size[1] - 50 - value * (size[1] - 100), x + step * 0.7, size[1] - 51), fill=(40, 90, 110))
    return image


def labelled_chart(seed: int) -> Image.Image:
    """A bar chart with its values written on the bars: the figures give it the few distinctive
    corners a lookup probes with, the bars are what its copies are fitted on."""
    image = bar_chart(seed)
    draw, rng = ImageDraw.Draw(image), np.random.default_rng(seed + 100)
    for index in range(10):
        draw.text((75 + index * 78, 500), str(rng.integers(10, 99)), fill=(255, 255, 255), font=FONT)
    return image


def cropped(image: Image.Image) -> Image.Image:
    w, h = image.size
    return image.crop((int(w * 0.12), int(h * 0.04), int(w * 0.93), int(h * 0.9)))


def both(picture) -> tuple[np.ndarray, np.ndarray]:
    """A stored or asked side's distinctive and repeated corners together, as the index joins them."""
    corners, repeated = keypoints.unpacked(picture.corners), keypoints.unpacked(picture.repeated)
    return np.concatenate([corners[0], repeated[0]]), np.concatenate([corners[1], repeated[1]])


def verdict(copy: Image.Image, original: Image.Image) -> tuple[verify.Transform | None, bool]:
    kept, asked = fingerprints.stored(original), fingerprints.query(copy)
    transform = verify.matched_repeated(both(asked), both(kept), kept.size)
    if transform is None:
        return None, False
    return transform, appearance.looks_alike(asked.gray, kept.thumbnail, kept.size, transform)


def test_a_chart_keeps_few_distinctive_corners_and_many_repeated_ones():
    kept = fingerprints.stored(bar_chart(1))
    corners, repeated = keypoints.unpacked(kept.corners), keypoints.unpacked(kept.repeated)
    assert len(corners[1]) < verify.MIN_INLIERS * 3
    assert len(repeated[1]) >= 40


def test_a_cropped_chart_is_fitted_on_its_repeated_corners_and_looks_alike():
    chart = bar_chart(1)
    kept, asked = fingerprints.stored(chart), fingerprints.query(cropped(chart))
    # Its distinctive corners alone do not agree on anything: the case this fit is for.
    assert verify.matched(keypoints.unpacked(asked.corners), keypoints.unpacked(kept.corners), kept.size) is None
    transform, alike = verdict(cropped(chart), chart)
    assert transform is not None and transform.inliers >= verify.MIN_INLIERS and alike
    # Both prepared pictures are trimmed of their white margins and brought to 512 wide, so the
    # crop's pixels are a little finer than the original's, never coarser, and upright.
    scale = np.sqrt(abs(np.linalg.det(transform.matrix)))
    assert 0.75 < scale < 1.0
    assert abs(transform.matrix[1, 0]) < 0.02 * scale
    # Half a line off, the same chart no longer looks alike: the fit found the right place.
    off = verify.Transform(transform.matrix, transform.shift + np.array([0.0, 25.0]), transform.inliers)
    assert appearance.resemblance(asked.gray, kept.thumbnail, kept.size, off) < appearance.MIN_NCC


def test_another_chart_on_the_same_axes_does_not_pass():
    """The axes and the bars' bottom corners agree on the identity; the bars' heights do not."""
    for seed in (2, 3, 4):
        assert not verdict(bar_chart(seed), bar_chart(1))[1]
        assert not verdict(cropped(bar_chart(seed)), bar_chart(1))[1]


@pytest.mark.parametrize(
    "picture",
    [
        Image.new("RGB", (600, 400), (200, 30, 30)),  # one colour: no corners at all
        Image.fromarray(np.random.default_rng(5).integers(0, 256, (400, 600, 3), dtype=np.uint8)),  # noise
        Image.new("RGB", (20, 20), (0, 0, 0)),  # too small to hash
    ],
)
def test_flat_noisy_and_tiny_pictures_fit_nothing(picture):
    chart = fingerprints.stored(bar_chart(1))
    asked = fingerprints.query(picture)
    assert verify.matched_repeated(both(asked), both(chart), chart.size) is None


def test_matched_repeated_needs_enough_corners_on_both_sides():
    empty = (np.zeros((0, 4)), np.zeros((0, 32), dtype=np.uint8))
    kept = fingerprints.stored(bar_chart(1))
    assert verify.matched_repeated(empty, both(kept), kept.size) is None
    assert verify.matched_repeated(both(kept), empty, kept.size) is None
    assert keypoints.unpacked(b"")[1].shape == (0, 32)


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_cropped_chart_of_someone_elses_is_held_and_another_chart_is_not(
    make_user, django_capture_on_commit_callbacks
):
    """The figures bring the work up (its probes); the bars decide."""
    artist, thief = make_user("ines"), make_user("bram")
    chart = labelled_chart(1)
    original, item = posted(artist, encoded(chart), django_capture_on_commit_callbacks)
    assert Thumbnail.objects.get(item=item).repeated  # kept with the thumbnail
    other, _ = posted(thief, encoded(labelled_chart(2)), django_capture_on_commit_callbacks)
    assert other.state == PostState.PUBLIC
    copy = cropped(chart)
    asked = fingerprints.query(copy)
    stored = Thumbnail.objects.get(item=item)
    work = keypoints.unpacked(bytes(stored.corners))
    assert verify.matched(keypoints.unpacked(asked.corners), work, (stored.width, stored.height)) is None
    (found,) = nearest_to(asked, exclude_author_id=thief.pk)
    assert found.item_id == item.pk and found.stored_window == fingerprints.KEYPOINT
    held, _ = posted(thief, encoded(copy, "JPEG", quality=85), django_capture_on_commit_callbacks)
    assert held.state == PostState.HELD
    assert RepostMatch.objects.get().original_post_id == original.pk


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_work_hashed_before_repeated_corners_were_kept_is_compared_without_them(
    make_user, django_capture_on_commit_callbacks, monkeypatch
):
    """NULL `Thumbnail.repeated` (an older work, until `theft_backfill`): the lookup goes on without
    the fit it cannot make; pairing the distinctive corners by place still finds the crop, and
    without that pairing the backfilled work is found by its repeated corners."""
    artist, thief = make_user("ines"), make_user("bram")
    chart = labelled_chart(1)
    _, item = posted(artist, encoded(chart), django_capture_on_commit_callbacks)
    Thumbnail.objects.filter(item=item).update(repeated=None)
    asked = fingerprints.query(cropped(chart))
    (found,) = nearest_to(asked, exclude_author_id=thief.pk)
    assert found.item_id == item.pk
    with monkeypatch.context() as capped:
        capped.setattr(theft_index, "NEAR_GROUPS", 0)  # a lookup that has spent its pairings by place
        assert nearest_to(asked, exclude_author_id=thief.pk) == []
    monkeypatch.setattr(theft_index, "NEAR_RESEMBLANCE", 2.0)  # no pairing by place: a correlation is at most 1
    assert nearest_to(asked, exclude_author_id=thief.pk) == []
    call_command("theft_backfill", stdout=StringIO())
    (found,) = nearest_to(asked, exclude_author_id=thief.pk)
    assert found.item_id == item.pk


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_cropped_chart_is_found_among_many_charts_on_the_same_axes(make_user, django_capture_on_commit_callbacks):
    """Other charts on the same axes share its probes and its repeated corners, fail the distinctive
    fit as it does, and may rank before it: a chart upload (index.FEW_CORNERS) gets the repeated fit
    with every work it is compared with, not only the first index.REPEATED_GROUPS."""
    artist, others = make_user("ines"), make_user("noor")
    for seed in range(2, 2 + 2 * REPEATED_GROUPS + 2):
        posted(others, encoded(labelled_chart(seed)), django_capture_on_commit_callbacks)
    chart = labelled_chart(1)
    _, item = posted(artist, encoded(chart), django_capture_on_commit_callbacks)
    asked = fingerprints.query(cropped(chart))
    assert len(keypoints.unpacked(asked.corners)[1]) < FEW_CORNERS
    found = nearest_to(asked)
    assert [near.item_id for near in found] == [item.pk]
