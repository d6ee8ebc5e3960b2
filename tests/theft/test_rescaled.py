"""The upload is looked at again at keypoints.RESCALES: a crop blown back up to the working size
shows the work larger than its original, between two of ORB's pyramid levels, and its corners are
then described at the wrong scale. Shrunk, they are described as the stored side's are, so the
copy's probes land on the original's rows."""

import numpy as np
from PIL import Image, ImageDraw

from atelier.protection.theft import fingerprints, keypoints

SIDE = 512
SHRINK = keypoints.RESCALES[0]


def shapes_work(seed: int) -> Image.Image:
    """Rectangles and discs in many colours: corners at every scale, as painted work has."""
    rng = np.random.default_rng(seed)
    picture = Image.new("RGB", (SIDE, SIDE), (235, 230, 220))
    draw = ImageDraw.Draw(picture)
    for _ in range(60):
        (x, y), (w, h) = rng.integers(0, SIDE, 2), rng.integers(10, 70, 2)
        draw.rectangle((int(x), int(y), int(x + w), int(y + h)), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    for _ in range(40):
        (x, y), r = rng.integers(0, SIDE, 2), int(rng.integers(5, 30))
        draw.ellipse(
            (int(x) - r, int(y) - r, int(x) + r, int(y) + r), fill=tuple(int(v) for v in rng.integers(0, 256, 3))
        )
    return picture


def blown_up_centre(picture: Image.Image) -> tuple[Image.Image, float, float]:
    """The centre 1 / SHRINK of the picture, resized back to SIDE (a crop as a reposter makes it),
    with where it starts in the original and its side there."""
    side = SIDE / SHRINK
    start = (SIDE - side) / 2
    box = (round(start), round(start), round(start + side), round(start + side))
    return picture.crop(box).resize((SIDE, SIDE), Image.Resampling.BICUBIC), start, side


def true_correspondences(found, stored, start: float, side: float, bits: int) -> int:
    """Corners of the copy with a stored corner of the original where the crop puts them (within 4
    px) whose descriptor is within `bits`."""
    count = 0
    for one in found:
        x, y = start + one.x * side / SIDE, start + one.y * side / SIDE
        near = [s for s in stored if abs(s.x - x) < 4 and abs(s.y - y) < 4]
        count += any(fingerprints.distance(one.descriptor, s.descriptor) <= bits for s in near)
    return count


def test_a_blown_up_crop_shares_close_descriptors_with_its_original_once_shrunk_back():
    own_total, rescaled_total = 0, 0
    for seed in range(3):
        original = shapes_work(seed)
        copy, start, side = blown_up_centre(original)
        stored = keypoints.detected(keypoints.grey(original), keypoints.STORED_KEYPOINTS)
        gray = keypoints.grey(copy)
        own = keypoints.detected(gray, keypoints.QUERY_KEYPOINTS)
        rescaled = keypoints.rescaled(gray, keypoints.QUERY_KEYPOINTS, SHRINK)  # as many as its own
        # Positions come back in the copy's own pixels: they land on the original's corners.
        own_close = true_correspondences(own, stored, start, side, bits=12)
        rescaled_close = true_correspondences(rescaled, stored, start, side, bits=12)
        assert rescaled_close >= 6  # measured: 9 to 14
        own_total, rescaled_total = own_total + own_close, rescaled_total + rescaled_close
    assert rescaled_total >= 2 * own_total  # measured: 34 against 7


def test_the_query_carries_both_scales_probes_and_corners_without_repeating_one():
    asked = fingerprints.query(shapes_work(4))
    probes = [one for one in asked.hashes if one.window == fingerprints.KEYPOINT]
    assert len({one.value for one in probes}) == len(probes)
    rescaled = keypoints.RESCALED_KEYPOINTS * len(keypoints.RESCALES)
    most = keypoints.QUERY_KEYPOINTS + keypoints.QUERY_SPREAD_EXTRA + rescaled
    assert keypoints.QUERY_KEYPOINTS + rescaled // 2 <= len(probes) <= most
    corners, _ = keypoints.unpacked(asked.rescaled)
    assert len(corners) == keypoints.RESCALED_VERIFY_KEYPOINTS * len(keypoints.RESCALES)
    height, width = asked.gray.shape
    # In the upload's own pixels, for both scales: not in the shrunk picture's, not past the upload.
    shrunk, enlarged = np.split(corners, 2)
    for each in (shrunk, enlarged):
        assert each[:, 0].min() >= 0 and each[:, 0].max() < width and each[:, 1].max() < height
    assert shrunk[:, 0].max() > width / SHRINK
    assert enlarged[:, 2].min() < shrunk[:, 2].min()  # the enlarged picture's finest corners are finer


def test_a_tiny_or_flat_upload_has_no_rescaled_corners():
    for side in (1, 33, 40):
        gray = np.full((side, side), 128, dtype=np.uint8)
        assert all(keypoints.rescaled(gray, keypoints.VERIFY_KEYPOINTS, scale) == [] for scale in keypoints.RESCALES)
