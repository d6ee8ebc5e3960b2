"""verify.matched_near: corners paired by where the upload's shared probes put it on a work, for the
copies whose corners both descriptor fits miss. The placement only says where to look; the fit
comes from the corners, and the picture still decides (`looks_alike`)."""

import numpy as np
import pytest
from PIL import Image

from atelier.protection.theft import appearance, fingerprints, keypoints, verify
from tests.theft.test_repeated_corners import both, cropped, labelled_chart


def every_corner(asked: fingerprints.Query) -> tuple[np.ndarray, np.ndarray]:
    """The upload's corners as the index pairs them by place: its own, the rescaled and the repeated."""
    own, repeated = keypoints.unpacked(asked.corners + asked.rescaled), keypoints.unpacked(asked.repeated)
    return np.concatenate([own[0], repeated[0]]), np.concatenate([own[1], repeated[1]])


def rough(transform: verify.Transform, turn_degrees: float, scale: float, shift) -> verify.Transform:
    """`transform` put off as a placement from one or two probes is: turned, scaled and shifted."""
    angle = np.radians(turn_degrees)
    turned = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return verify.Transform(turned @ transform.matrix, transform.shift + np.asarray(shift, dtype=float), 0)


def turned_crop(chart: Image.Image) -> Image.Image:
    return cropped(chart.rotate(3, resample=Image.Resampling.BICUBIC, fillcolor="white"))


@pytest.mark.parametrize("edit", [cropped, turned_crop])
def test_a_rough_placement_is_refined_to_the_fit_the_corners_agree_on(edit):
    """Placed 4° off, 8 % too large and 15 px aside (where the upload does not yet look like the
    work), the pairing by place ends on the transform the repeated-corner fit finds on its own."""
    chart = labelled_chart(1)
    kept, asked = fingerprints.stored(chart), fingerprints.query(edit(chart))
    reference = verify.matched_repeated(both(asked), both(kept), kept.size)
    assert reference is not None
    placement = rough(reference, 4, 1.08, (12, -9))
    assert appearance.resemblance(asked.gray, kept.thumbnail, kept.size, placement) < appearance.MIN_NCC
    found = verify.matched_near(every_corner(asked), both(kept), kept.size, placement)
    assert found is not None and found.inliers >= verify.MIN_INLIERS
    assert np.abs(found.matrix - reference.matrix).max() < 0.01
    assert np.abs(found.shift - reference.shift).max() < 2  # pixels of the stored picture
    assert appearance.looks_alike(asked.gray, kept.thumbnail, kept.size, found)


@pytest.mark.parametrize("other_seed", [2, 3, 11])
def test_another_chart_on_the_same_axes_may_pair_corners_but_does_not_look_alike(other_seed):
    """Bars pair with bars wherever they are placed: the corners alone would pass; the picture does not."""
    chart = labelled_chart(1)
    kept, asked = fingerprints.stored(chart), fingerprints.query(cropped(chart))
    placement = verify.matched_repeated(both(asked), both(kept), kept.size)
    other = fingerprints.stored(labelled_chart(other_seed))
    found = verify.matched_near(every_corner(asked), both(other), other.size, placement)
    assert found is None or not appearance.looks_alike(asked.gray, other.thumbnail, other.size, found)


def test_a_placement_a_bar_aside_fits_corners_but_not_the_picture():
    """200 px aside, the bars of the crop land on other bars of its own original: a fit, a wrong one,
    which the picture refuses."""
    chart = labelled_chart(1)
    kept, asked = fingerprints.stored(chart), fingerprints.query(cropped(chart))
    reference = verify.matched_repeated(both(asked), both(kept), kept.size)
    aside = verify.Transform(reference.matrix, reference.shift + np.array([200.0, 0.0]), 0)
    found = verify.matched_near(every_corner(asked), both(kept), kept.size, aside)
    assert found is None or not appearance.looks_alike(asked.gray, kept.thumbnail, kept.size, found)


@pytest.mark.parametrize(
    "picture",
    [
        Image.new("RGB", (600, 400), (200, 30, 30)),  # one colour: no corners at all
        Image.fromarray(np.random.default_rng(5).integers(0, 256, (400, 600, 3), dtype=np.uint8)),  # noise
    ],
)
def test_flat_and_noisy_uploads_placed_on_a_chart_pass_nothing(picture):
    kept = fingerprints.stored(labelled_chart(1))
    asked = fingerprints.query(picture)
    placement = verify.Transform(np.eye(2), np.zeros(2), 0)
    found = (
        verify.matched_near(every_corner(asked), both(kept), kept.size, placement) if asked.gray is not None else None
    )
    assert found is None or not appearance.looks_alike(asked.gray, kept.thumbnail, kept.size, found)


def test_too_few_corners_on_either_side_fit_nothing():
    empty = (np.zeros((0, 4)), np.zeros((0, 32), dtype=np.uint8))
    kept = fingerprints.stored(labelled_chart(1))
    placement = verify.Transform(np.eye(2), np.zeros(2), 0)
    assert verify.matched_near(empty, both(kept), kept.size, placement) is None
    assert verify.matched_near(both(kept), empty, kept.size, placement) is None
    few = tuple(one[: verify.MIN_INLIERS - 1] for one in both(kept))
    assert verify.matched_near(few, both(kept), kept.size, placement) is None
