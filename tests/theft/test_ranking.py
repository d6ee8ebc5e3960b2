"""Which stored works a keypoint lookup compares: the MAX_GROUPS best by the weight of shared probes
that agree on one placement, each work compared once and on its upright corners first, whichever of
its sides the probes reached."""

import numpy as np
import pytest
from PIL import Image
from skimage import data

from atelier.protection.theft import appearance, fingerprints, index, ranking
from atelier.protection.theft.fingerprints import KEYPOINT, MIRRORED
from atelier.protection.theft.index import nearest_to
from atelier.protection.theft.models import Fingerprint
from tests.theft.test_reposts import encoded, posted

ARTWORK = Image.fromarray(data.astronaut())


def probes_placed(points, *, turn=0.0, scale=1.0, shift=(0.0, 0.0), size=31.0, angle=40.0):
    """(stored, asked) geometry of shared probes: the upload's corners at `points`, the stored work's
    where a similarity of `turn` degrees, `scale` and `shift` puts them."""
    asked = np.array([(x, y, size, angle) for x, y in points], dtype=np.float64)
    c, s = np.cos(np.radians(turn)), np.sin(np.radians(turn))
    at = asked[:, :2] @ (scale * np.array([[c, -s], [s, c]])).T + shift
    stored = np.column_stack([at, asked[:, 2] * scale, (asked[:, 3] + turn) % 360])
    return stored, asked


def test_probes_that_agree_on_one_placement_outweigh_more_that_are_scattered():
    points = [(40, 60), (200, 90), (120, 300), (330, 210)]
    copy_stored, copy_asked = probes_placed(points, turn=4, scale=0.8, shift=(-30, 12))
    rng = np.random.default_rng(5)
    scattered_asked = np.column_stack([rng.uniform(0, 512, (7, 2)), np.full(7, 31.0), rng.uniform(0, 360, 7)])
    scattered_stored = np.column_stack([rng.uniform(0, 512, (7, 2)), np.full(7, 31.0), rng.uniform(0, 360, 7)])
    group = np.array([0] * 4 + [1] * 7)
    weight = np.ones(11)
    agreeing = ranking.agreeing(
        group, weight, np.vstack([copy_stored, scattered_stored]), np.vstack([copy_asked, scattered_asked])
    )
    assert agreeing[0] == 4  # all four agree with each other
    assert agreeing[1] < 4  # seven shared probes, placed by chance: few agree with any one of them


@pytest.mark.parametrize(
    "breaks",
    ["turn of the corners", "scale of the line", "turn of the line"],
)
def test_probes_disagreeing_on_turn_or_scale_do_not_add_up(breaks):
    stored, asked = probes_placed([(50, 50), (300, 80), (150, 350)], turn=3)
    if breaks == "turn of the corners":
        stored[1, 3] = (stored[1, 3] + 90) % 360  # its corner turned another way than the line
    elif breaks == "scale of the line":
        stored[1, :2] = stored[0, :2] + 2.5 * (stored[1, :2] - stored[0, :2])  # farther than its size says
    else:
        centre = stored[0, :2]
        stored[1, :2] = centre + (stored[1, :2] - centre) @ np.array([[0, -1], [1, 0]]).T  # line turned 90°
    agreeing = ranking.agreeing(np.zeros(3, dtype=int), np.ones(3), stored, asked)
    assert agreeing[0] == 2  # probes 0 and 2 still agree; probe 1 joins neither


def test_probes_too_close_together_say_nothing_of_a_placement():
    stored, asked = probes_placed([(100, 100), (104, 103)])
    assert ranking.agreeing(np.zeros(2, dtype=int), np.ones(2), stored, asked)[0] == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_work_the_probes_reach_only_through_its_mirror_is_compared_on_its_upright_corners(
    artist, thief, django_capture_on_commit_callbacks
):
    """A copy that is not mirrored can share its few whole probes with the mirror's rows of a nearly
    symmetric work and none with the upright ones (bench/theft.py --diagnose). Here the work's upright
    rows are gone and its mirror's rows hold the copy's probes, at the mirror's own places: the mirror
    rows alone fit no transform, the upright corners do."""
    _, item = posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks)
    copy = ARTWORK.crop((60, 30, 470, 500))
    asked = fingerprints.query(copy)
    Fingerprint.objects.filter(item=item).exclude(window=KEYPOINT + MIRRORED).delete()
    probes = [one for one in asked.hashes if one.window == KEYPOINT]
    mirror_rows = list(Fingerprint.objects.filter(item=item).order_by("pk"))
    for row, probe in zip(mirror_rows, probes, strict=False):
        row.value = probe.value
        row.save(update_fields=["value"])
        Fingerprint.objects.filter(pk=row.pk).update(**index.chunk_columns(probe.value))
    (found,) = nearest_to(asked, exclude_author_id=thief.pk)
    assert found.item_id == item.pk and found.stored_window == KEYPOINT


def test_the_probes_that_agree_place_the_upload_where_the_copy_was_cut_from():
    points = [(40, 60), (200, 90), (120, 300), (330, 210)]
    stored, asked = probes_placed(points, turn=4, scale=0.8, shift=(-30, 12))
    best, (placement,) = ranking._agreeing_placed(np.zeros(4, dtype=int), np.ones(4), stored, asked)
    c, s = np.cos(np.radians(4)), np.sin(np.radians(4))
    assert best[0] == 4
    np.testing.assert_allclose(placement.matrix, 0.8 * np.array([[c, -s], [s, c]]), atol=1e-9)
    np.testing.assert_allclose(placement.shift, (-30, 12), atol=1e-6)


def test_a_lone_probe_places_the_upload_by_its_own_size_and_turn():
    stored, asked = probes_placed([(100, 100)], turn=90, scale=2.0, shift=(10, 0))
    _, (placement,) = ranking._agreeing_placed(np.zeros(1, dtype=int), np.ones(1), stored, asked)
    np.testing.assert_allclose(placement.matrix, [[0, -2], [2, 0]], atol=1e-9)
    np.testing.assert_allclose(placement.matrix @ asked[0, :2] + placement.shift, stored[0, :2], atol=1e-6)


def test_a_placement_on_no_plausible_scale_is_none():
    stored, asked = probes_placed([(100, 100), (300, 300)], scale=9.0)
    _, (placement,) = ranking._agreeing_placed(np.zeros(2, dtype=int), np.ones(2), stored, asked)
    assert placement is None


def test_the_shortlist_is_put_in_order_by_how_the_upload_looks_on_each_work():
    """Group 0 ranked first by its probes shows another picture where they place the upload; group 1,
    the original, shows the upload itself: it goes first. Groups without a placement or a thumbnail
    keep their order after those compared."""
    gray = np.asarray(ARTWORK.convert("L").resize((256, 256)))
    original = np.asarray(ARTWORK.convert("L").resize((32, 32), Image.Resampling.BOX)).tobytes()
    other = np.asarray(Image.fromarray(data.camera()).resize((32, 32), Image.Resampling.BOX)).tobytes()
    same_place = index.verify.Transform(matrix=np.eye(2), shift=np.zeros(2), inliers=0)
    thumbnails = {0: (other, (256, 256)), 1: (original, (256, 256)), 3: (original, (256, 256))}
    placements = [same_place, same_place, same_place, None, same_place]  # by group
    order, scores = ranking.by_resemblance(np.array([0, 2, 3, 1, 4]), placements, thumbnails.get, gray, None)
    assert order.tolist() == [1, 0, 2, 3, 4]
    assert set(scores) == {0, 1}  # the groups compared: group 3 has no placement, 2 and 4 no thumbnail
    assert scores[1] > 0.99 > appearance.MIN_NCC > scores[0]
