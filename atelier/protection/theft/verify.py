"""Whether keypoint matches to one stored work are a copy of it, not a chance resemblance.

Two steps, both needed (bench/theft.py, false matches among distinct works):

1. Geometry. Every pair of matched corners fixes one similarity transform (scale, turn, shift) from
   the upload to the stored picture; the transform that most matches agree with (each landing within
   `TOLERANCE` of its stored corner, turned and scaled like the transform) must gather
   `MIN_INLIERS` distinct corners. A copy's corners agree; corners matched by chance mostly do not.
2. Appearance. Text in one font, a chart's axes, the corners of flat shapes agree on a transform
   across unrelated works too. So the upload is then sampled through the transform onto the stored
   work's grey thumbnail, and the two must correlate (normalised cross-correlation ≥ `MIN_NCC` over
   at least `MIN_OVERLAP` of the thumbnail, and ≥ `MIN_DETAIL_NCC` once each cell's neighbourhood
   mean is taken away, so a shared layout alone does not pass): a crop, a turn, a colour shift, a
   stamp keep the picture's light and dark places where they were; two different works mostly do
   not. At 32 × 32 cells this is a coarse test: renders of spheres over one checker floor, or charts
   on one template, can pass it for each other (bench/theft.py names the false matches). Finer
   thumbnails do not help: such renders still correlate at 0.7–0.9 (whole) and 0.5–0.8 (detail) at
   96 × 96. What tells them apart is the count of agreeing corners: 5–8 for a shared template, most
   copies far more; hence `MIN_INLIERS` = 9, which costs the copies that keep few corners (measured
   on every fourth work against all 716: false works 25 → 0 of 183, crop recall 0.57 → 0.24).

The tolerance (3 % of the diagonal) is wide enough for ORB's corner positions at coarse pyramid
levels, and so too wide to tell a 4° turn from none over a small picture: the fit may settle anywhere
in between; the comparison through it does not need better.
"""

from dataclasses import dataclass

import cv2
import numpy as np

MIN_INLIERS = 9  # bench/theft.py: renders of one scene template agree on 5–8 corners and correlate at 0.7–0.9
TOLERANCE = 0.03  # of the stored picture's diagonal
MAX_TURN = 30.0  # degrees between a corner's own orientation change and the transform's turn
SCALES = (0.2, 5.0)  # of the stored picture to the upload; beyond, not a copy worth the name
MIN_NCC = 0.7
MIN_DETAIL_NCC = 0.4
MIN_OVERLAP = 0.3
MAX_PAIRS = 800


@dataclass(frozen=True)
class Transform:
    matrix: np.ndarray  # 2×2, scale and turn, upload → stored
    shift: np.ndarray  # 2
    inliers: int


def fitted(query: np.ndarray, stored: np.ndarray, stored_size: tuple[int, int]) -> Transform | None:
    """The similarity most matches agree with, or None below MIN_INLIERS. `query` and `stored` are
    (n, 4) arrays of matched corners, row by row: x, y, size, angle (degrees). Points are complex
    numbers here: a similarity is `stored = a · query + b`, and two matches fix `a` and `b`. All
    pairs are tried at once (at most MAX_PAIRS of them, drawn with a fixed seed), in numpy."""
    count = len(query)
    if count < MIN_INLIERS:
        return None
    tolerance = TOLERANCE * float(np.hypot(*stored_size))
    zq, zs = query[:, 0] + 1j * query[:, 1], stored[:, 0] + 1j * stored[:, 1]
    first, second = np.triu_indices(count, 1)
    if len(first) > MAX_PAIRS:
        pick = np.random.default_rng(0).choice(len(first), MAX_PAIRS, replace=False)
        first, second = first[pick], second[pick]
    step_q, step_s = zq[second] - zq[first], zs[second] - zs[first]
    usable = np.abs(step_q) > 8  # two corners this close say little about scale and turn
    a = np.where(usable, step_s / np.where(usable, step_q, 1), 0)
    scale = np.abs(a)
    usable &= (scale >= SCALES[0]) & (scale <= SCALES[1])
    if not usable.any():
        return None
    a, first = a[usable], first[usable]
    b = zs[first] - a * zq[first]
    agree = _agreeing(query, stored, zq, zs, a, b, tolerance)
    best_count, best = 0, None
    for k in np.argsort(-agree.sum(axis=1))[:3]:
        # Each corner counts once on either side: one repeated corner is not several witnesses.
        witnesses = min(len(set(zq[agree[k]])), len(set(zs[agree[k]])))
        if witnesses > best_count:
            best_count, best = witnesses, k
    if best is None or best_count < MIN_INLIERS:
        return None
    c = a[best]
    matrix = np.array([[c.real, -c.imag], [c.imag, c.real]])
    return Transform(matrix=matrix, shift=np.array([b[best].real, b[best].imag]), inliers=best_count)


def _agreeing(query, stored, zq, zs, a, b, tolerance) -> np.ndarray:
    """(transforms, matches): the match lands within `tolerance` under the transform, and its
    corners' own turn and size change agree with it."""
    close = np.abs(a[:, None] * zq[None, :] + b[:, None] - zs[None, :]) <= tolerance
    turn = np.degrees(np.angle(a))
    turned = (stored[None, :, 3] - query[None, :, 3] - turn[:, None] + 180) % 360 - 180
    sized = (stored[:, 2] / np.maximum(query[:, 2], 1e-3))[None, :]
    scale = np.abs(a)[:, None]
    return close & (np.abs(turned) <= MAX_TURN) & (sized >= scale / 2) & (sized <= scale * 2)


def looks_alike(
    gray: np.ndarray,
    thumbnail: bytes,
    stored_size: tuple[int, int],
    transform: Transform,
    blurred: dict[int, np.ndarray] | None = None,
) -> bool:
    """The upload (`gray`, the prepared picture) seen through `transform` correlates with the stored
    thumbnail. `blurred` keeps the upload's blurs across the works one lookup compares it with."""
    scores = resemblance(gray, thumbnail, stored_size, transform, blurred)
    return scores is not None and scores[0] >= MIN_NCC and scores[1] >= MIN_DETAIL_NCC


def resemblance(
    gray: np.ndarray,
    thumbnail: bytes,
    stored_size: tuple[int, int],
    transform: Transform,
    blurred: dict[int, np.ndarray] | None = None,
) -> tuple[float, float] | None:
    """(whole, detail) correlations of the upload seen through `transform` with the stored square
    thumbnail, or None when too little of the thumbnail is inside the upload."""
    side = round(len(thumbnail) ** 0.5)
    width, height = stored_size
    cells = np.frombuffer(thumbnail, dtype=np.uint8).reshape(side, side).astype(np.float32)
    u, v = np.meshgrid((np.arange(side) + 0.5) * width / side, (np.arange(side) + 0.5) * height / side)
    at = (np.stack([u.ravel(), v.ravel()], axis=1) - transform.shift) @ np.linalg.inv(transform.matrix).T
    rows, cols = gray.shape
    inside = (at[:, 0] >= 0) & (at[:, 0] <= cols - 1) & (at[:, 1] >= 0) & (at[:, 1] <= rows - 1)
    if inside.mean() < MIN_OVERLAP:
        return None
    scale = float(np.sqrt(abs(np.linalg.det(transform.matrix))))
    cell = max(1, round(width / side / max(scale, 1e-3)))  # a thumbnail cell, in upload pixels
    blurred = {} if blurred is None else blurred
    if cell not in blurred:
        blurred[cell] = cv2.blur(gray.astype(np.float32), (cell, cell))
    seen = np.zeros(side * side, dtype=np.float32)
    seen[inside] = blurred[cell][np.rint(at[inside, 1]).astype(int), np.rint(at[inside, 0]).astype(int)]
    seen = seen.reshape(side, side)
    inside = inside.reshape(side, side)
    whole = _ncc(seen[inside], cells[inside])
    # The layout (a sky over a floor, a white page with a dark bar) is shared by many works; the
    # places of the edges inside it are not: the difference of each cell from its neighbours' mean.
    edges = _ncc(_detail(seen)[inside], _detail(cells)[inside])
    return whole, edges


def _detail(cells: np.ndarray) -> np.ndarray:
    return cells - cv2.blur(cells, (5, 5), borderType=cv2.BORDER_REFLECT)


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / norm if norm > 0 else 0.0
