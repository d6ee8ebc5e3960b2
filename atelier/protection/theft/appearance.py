"""Step 2 of verify.py: whether an upload, seen through the transform its corners agree on with a
stored work, looks like that work's grey thumbnail.

Renders of one scene template, charts on one layout and pages set in one font share
genuine corners, so they also agree on a transform. The upload is then sampled through the
transform onto the stored work's grey thumbnail and the two must correlate (normalised
cross-correlation ≥ `MIN_NCC` over at least `MIN_OVERLAP` of the thumbnail). Through the right
transform a copy correlates at 0.95–1.0, whatever was cropped, turned, tinted or framed; two
renders over one checker floor reach 0.83–0.96 (bench/theft.py on every third work). With each
render its own scene, the 335 pairs of distinct works that agree on a transform reach at most 0.91.
A signature or a watermark box stamped on line art, pixel art or an interface outweighs its few
dark lines (stamped copies correlated at 0.44–0.94 through the right transform), so a copy that
shows the whole work may differ from it in one compact region, left out (`_stamped`).

RANSAC's fit is only as good as its corners (within verify.TOLERANCE of the diagonal), and on fine
detail 1 % of scale is a line of text off at the far edge: a fit that many corners agree on is
settled onto the thumbnail before it is judged (`_settled`).
"""

import cv2
import numpy as np

from atelier.protection.theft.verify import Transform

MIN_NCC = 0.94
MIN_OVERLAP = 0.3
# A fit that at least AGREED_INLIERS corners agree on has shown the geometry of a copy; the picture
# need then only say it is the same work. Such a fit may be settled (`_settled`: moved by up to
# SETTLE_SHIFT of a thumbnail cell each way, scaled by up to SETTLE_SCALE), and with a stamp left
# out the rest need only correlate at MIN_NCC (`_stamped`). bench/theft.py (716 works, 1M hashes):
# framed screenshots correlated at 0.92-0.93 through fits of 28 and 41 corners, 0.95 once scaled by
# 1 %; stamped scans at 0.97-0.98 once their stamp was left out. Of the distinct works
# that reach this test, those with AGREED_INLIERS or more (130 pairs) correlate at 0.86 at most when
# settled and 0.57 with a region left out; with 8-14 (charts on one layout), one reached 0.98
# settled and one 0.95 with a region left out.
AGREED_INLIERS = 16
SETTLE_SHIFT = 0.5
SETTLE_SCALE = 0.01
# `_stamped`: a whole copy with one region stamped over (bench/theft.py, stamp recall)
STAMP_OVERLAP = 0.9  # of the thumbnail's cells inside the upload
STAMP_RESIDUAL = 1.0  # standard deviations between the two at a cell that differs
STAMP_SHARE = 0.2  # of the cells compared, at most, left out
STAMP_MIN_NCC = 0.985


def looks_alike(
    gray: np.ndarray,
    thumbnail: bytes,
    stored_size: tuple[int, int],
    transform: Transform,
    summed: np.ndarray | None = None,
    min_ncc: float = MIN_NCC,
) -> bool:
    """The upload (`gray`, the prepared picture) seen through `transform` correlates with the stored
    thumbnail at `min_ncc`, or shows all of it with one signature or watermark stamped on (`_stamped`).
    `summed`: `summed_area(gray)`, kept across the works one lookup compares the upload with."""
    if _alike_through(gray, thumbnail, stored_size, transform, summed, min_ncc):
        return True
    if transform.inliers < AGREED_INLIERS:
        return False
    settled = _settled(gray, thumbnail, stored_size, transform, summed)
    return settled is not transform and _alike_through(gray, thumbnail, stored_size, settled, summed, min_ncc)


def _alike_through(gray, thumbnail: bytes, stored_size, transform: Transform, summed, min_ncc: float) -> bool:
    compared = _compared(gray, thumbnail, stored_size, transform, summed)
    if compared is None:
        return False
    stamp_ncc = MIN_NCC if transform.inliers >= AGREED_INLIERS else STAMP_MIN_NCC
    return _ncc(compared[0], compared[1]) >= min_ncc or _stamped(*compared, min_ncc=stamp_ncc)


def _settled(gray, thumbnail: bytes, stored_size, transform: Transform, summed) -> Transform:
    """`transform`, or the one near it through which the upload correlates best with the thumbnail:
    moved by up to SETTLE_SHIFT of a thumbnail cell each way and scaled by up to SETTLE_SCALE."""
    side = round(len(thumbnail) ** 0.5)
    cell = np.array(stored_size, dtype=np.float64) / side
    shifts = np.array([-SETTLE_SHIFT, 0.0, SETTLE_SHIFT])
    nearby = [
        Transform(matrix=transform.matrix * scale, shift=transform.shift + cell * (dx, dy), inliers=transform.inliers)
        for scale in (1 - SETTLE_SCALE, 1.0, 1 + SETTLE_SCALE)
        for dx in shifts
        for dy in shifts
    ]
    scores = resemblances(gray, [thumbnail] * len(nearby), [stored_size] * len(nearby), nearby, summed)
    if np.isnan(scores).all():
        return transform
    best = int(np.nanargmax(scores))
    # The unmoved one (the middle of the 27) is `transform` itself: the caller then judges nothing twice.
    return transform if best == len(nearby) // 2 else nearby[best]


def resemblance(
    gray: np.ndarray,
    thumbnail: bytes,
    stored_size: tuple[int, int],
    transform: Transform,
    summed: np.ndarray | None = None,
) -> float | None:
    """The correlation of the upload seen through `transform` with the stored square thumbnail, or
    None when too little of the thumbnail is inside the upload."""
    compared = _compared(gray, thumbnail, stored_size, transform, summed)
    return None if compared is None else _ncc(compared[0], compared[1])


def summed_area(gray: np.ndarray) -> np.ndarray:
    """The upload's summed-area table: the mean of any cell of it in four lookups, whatever the
    cell's size. A lookup compares the upload with dozens of works at as many scales; a box blur
    per cell size cost 0.28 ms each, 23 a lookup (bench/theft.py crops, cProfile)."""
    return cv2.integral(np.ascontiguousarray(gray), sdepth=cv2.CV_64F)


def resemblances(
    gray: np.ndarray, thumbnails: list[bytes], sizes: list[tuple[int, int]], transforms: list[Transform], summed=None
) -> np.ndarray:
    """`resemblance` for many works at once (NaN where it would be None): ranking.by_resemblance
    compares an upload with a few dozen, and one numpy pass costs what two single calls did."""
    seen, cells, inside = _cells_seen(gray, thumbnails, sizes, transforms, summed)
    count = inside.sum(axis=1)
    seen, cells = seen - _masked_mean(seen, inside, count), cells - _masked_mean(cells, inside, count)
    seen, cells = np.where(inside, seen, 0), np.where(inside, cells, 0)
    norm = np.sqrt((seen * seen).sum(axis=1) * (cells * cells).sum(axis=1))
    scores = np.divide((seen * cells).sum(axis=1), norm, out=np.zeros(len(norm)), where=norm > 0)
    return np.where(count >= MIN_OVERLAP * inside.shape[1], scores, np.nan)


def _masked_mean(values: np.ndarray, inside: np.ndarray, count: np.ndarray) -> np.ndarray:
    return (np.where(inside, values, 0).sum(axis=1) / np.maximum(count, 1))[:, None]


def _compared(gray, thumbnail, stored_size, transform, summed) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(the upload's grey levels at the thumbnail's cells, the thumbnail's, which cells: a mask over
    all of them) for the cells inside the upload through `transform`; None when under MIN_OVERLAP
    of them are."""
    seen, cells, inside = (one[0] for one in _cells_seen(gray, [thumbnail], [stored_size], [transform], summed))
    if inside.mean() < MIN_OVERLAP:
        return None
    return seen[inside], cells[inside], inside


def _cells_seen(gray, thumbnails, sizes, transforms, summed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For works of square thumbnails of one side, each of `sizes` (width, height) and seen through
    one of `transforms`: (the upload's mean grey level over each thumbnail cell, the thumbnail's
    level, whether the cell is inside the upload), each (works, cells); the first is meaningless
    where the last is False."""
    side = round(len(thumbnails[0]) ** 0.5)
    cells = np.frombuffer(b"".join(thumbnails), dtype=np.uint8).reshape(len(thumbnails), -1).astype(np.float32)
    width, height = np.array(sizes, dtype=np.float64).T[:, :, None]
    centres = (np.arange(side) + 0.5) / side
    matrices = np.array([one.matrix for one in transforms])
    shifts = np.array([one.shift for one in transforms])
    # Each cell's centre on the stored picture, taken back through its work's transform (written out:
    # np.einsum took half the time of the whole comparison).
    dx, dy = np.tile(centres, side) * width - shifts[:, :1], np.repeat(centres, side) * height - shifts[:, 1:]
    back = np.linalg.inv(matrices)[:, :, :, None]
    at_x, at_y = back[:, 0, 0] * dx + back[:, 0, 1] * dy, back[:, 1, 0] * dx + back[:, 1, 1] * dy
    rows, cols = gray.shape
    inside = (at_x >= 0) & (at_x <= cols - 1) & (at_y >= 0) & (at_y <= rows - 1)
    scale = np.maximum(np.sqrt(np.abs(np.linalg.det(matrices))), 1e-3)[:, None]
    # A thumbnail cell in upload pixels: as wide as a stored column, as tall as a stored row. (A
    # square cell left a page's lines of text aliased, and its copies uncorrelated: scans' NCC was
    # 0.1–0.6 through the right transform, 0.96–0.99 with this.)
    cell_w = np.maximum(1, np.rint(width / side / scale)).astype(int)
    cell_h = np.maximum(1, np.rint(height / side / scale)).astype(int)
    summed = summed_area(gray) if summed is None else summed
    x, y = np.clip(np.rint(at_x), 0, cols - 1).astype(int), np.clip(np.rint(at_y), 0, rows - 1).astype(int)
    # The cell centred on each point (as a box blur centres it), cut at the picture's edges.
    x0, y0 = np.clip(x - cell_w // 2, 0, cols), np.clip(y - cell_h // 2, 0, rows)
    x1, y1 = np.clip(x - cell_w // 2 + cell_w, 0, cols), np.clip(y - cell_h // 2 + cell_h, 0, rows)
    total = summed[y1, x1] - summed[y0, x1] - summed[y1, x0] + summed[y0, x0]
    return (total / ((x1 - x0) * (y1 - y0))).astype(np.float32), cells, inside


def _stamped(seen: np.ndarray, cells: np.ndarray, inside: np.ndarray, min_ncc: float = STAMP_MIN_NCC) -> bool:
    """The upload shows all of the work (STAMP_OVERLAP of its cells) and, once the one compact
    region where the two differ most is left out (the box, at most STAMP_SHARE of the cells, around
    the largest connected patch of cells STAMP_RESIDUAL standard deviations apart), correlates at
    `min_ncc` (STAMP_MIN_NCC; MIN_NCC through a fit of AGREED_INLIERS). A signature or a watermark
    box stamped on a work is such a region: the copies of bench/theft.py's `stamp` kind correlated
    at 0.44–0.94 whole and mostly at 0.99 without it.
    Whole pictures only, and a higher bar than MIN_NCC: through a transform that lays part of one
    chart on part of another, leaving a region out lifted two distinct charts to 0.976 and 0.994
    (both under 70 % overlap); of 5,078 pairs of distinct works of bench/theft.py that agree on a
    transform, none passes this test."""
    if inside.mean() < STAMP_OVERLAP:
        return False
    side = round(len(inside) ** 0.5)
    apart = np.abs(_standard(seen) - _standard(cells)) > STAMP_RESIDUAL
    grid = np.zeros(len(inside), dtype=np.uint8)
    grid[inside] = apart
    count, _, stats, _ = cv2.connectedComponentsWithStats(grid.reshape(side, side), connectivity=8)
    if count <= 1:
        return False  # nowhere apart: the whole correlation already said no
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = stats[largest, :4]
    box = np.zeros((side, side), dtype=bool)
    box[max(0, y - 1) : y + h + 1, max(0, x - 1) : x + w + 1] = True  # and the cells its edge blurred
    left_out = box.ravel()[inside]
    if left_out.sum() > STAMP_SHARE * len(seen):
        return False
    return _ncc(seen[~left_out], cells[~left_out]) >= min_ncc


def _standard(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-6)


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / norm if norm > 0 else 0.0
