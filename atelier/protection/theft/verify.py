"""Whether a stored work that shares keypoints with an upload is the work it copies, not a chance
resemblance. The index (index.py) only needs one shared corner to bring a work up; this decides.

Two steps, both needed (bench/theft.py, recall per kind and false matches among distinct works):

1. Geometry. Every corner of the upload is matched with its nearest corner of the stored work (at most
   `MATCH_BITS` apart, clearly nearer than the second nearest, and each other's nearest: a corner
   repeated in the picture matches nothing); at least `MIN_INLIERS` of them must have turned
   alike (ORB's orientations, within `TURN_WINDOW`); then OpenCV's RANSAC fits one similarity (scale, turn,
   shift) to those matches and refines it on those it keeps. At least `MIN_INLIERS` matches must land
   within `TOLERANCE` of the diagonal through it. A copy's corners agree; chance matches do not.
2. Appearance (appearance.py). Renders of one scene template, charts on one layout and pages set in
   one font share genuine corners, so they also agree on a transform; the upload, seen through it,
   must look like the stored work's thumbnail.

Works made of one corner repeated (a bar chart's right angles, a page's letters, an interface's
buttons) keep too few distinctive corners for step 1: keypoints.detected leaves the repeated ones
out, and the ratio test would reject them anyway. `matched_repeated` fits those works on their
repeated corners too (each upload corner offers its nearest few), and step 2 decides as before
(bench/theft.py --diagnose: most crops, turns and frames of charts and pages missed before were lost
here, their originals found but with fewer than 8 corners agreeing).

What neither fit pairs, `matched_near` may: the probes that brought a work up also say where the
upload lies on it (ranking.py), and corners paired by that place need neither the ratio test nor
distinct descriptors (framed screenshots, turned charts).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from atelier.protection.theft import keypoints

MATCH_BITS = 64  # of 256: between two ORB descriptors of one corner in a copy
RATIO = 0.9  # the nearest must be this much nearer than the second nearest
MIN_INLIERS = 8
TOLERANCE = 0.01  # of the stored picture's diagonal (5–7 px at 512)
SCALES = (0.2, 5.0)  # of the stored picture to the upload; beyond, not a copy worth the name
RANSAC_ITERATIONS = 2000
TURN_WINDOW = 60  # degrees: matched corners turned alike, within this, may be one copy's
REPEATED_CHOICES = 3  # stored corners each upload corner offers in `matched_repeated`
REPEATED_ITERATIONS = 2000
# `matched_near`: corners paired by where the shared probes put the upload, for works whose corners
# the two fits above cannot pair by their descriptors alone
NEAR_RADIUS = 0.08  # of the stored picture's diagonal: how far from where the placement takes it
NEAR_REFINE = 0.03  # the same, around the first fit
NEAR_BITS = 80  # of 256: a copy's corner described from a patch cropped, turned or framed


@dataclass(frozen=True)
class Transform:
    matrix: np.ndarray  # 2×2, scale and turn, upload → stored
    shift: np.ndarray  # 2
    inliers: int


def matched(
    query: tuple[np.ndarray, np.ndarray], stored: tuple[np.ndarray, np.ndarray], stored_size: tuple[int, int]
) -> Transform | None:
    """The similarity the upload's corners and the stored work's agree on, or None. Each side is
    (geometry (n, 4): x, y, size, angle; descriptors (n, 32) uint8), as keypoints.unpacked gives."""
    (query_at, query_bytes), (stored_at, stored_bytes) = query, stored
    if len(query_bytes) < MIN_INLIERS or len(stored_bytes) < 2:
        return None
    bits, nearest = keypoints.nearest_of(query_bytes, stored_bytes, 2)  # each upload corner's two nearest
    best, runner_up, nearest = bits[:, 0], bits[:, 1], nearest[:, 0]
    keep = (best <= MATCH_BITS) & (best < RATIO * runner_up)
    if keep.sum() < MIN_INLIERS:  # most works a lookup compares end here
        return None
    # Each other's nearest: only the stored corners kept so far are asked for their nearest upload
    # corner (a few dozen rows instead of all 200: 0.38 ms of CPU a comparison spent here before).
    kept = np.flatnonzero(keep)
    _, back = keypoints.nearest_of(stored_bytes[nearest[kept]], query_bytes, 1)
    keep[kept] = back[:, 0] == kept
    if keep.sum() < MIN_INLIERS:
        return None
    alike = _turned_alike(query_at[keep, 3], stored_at[nearest[keep], 3])
    if alike.sum() < MIN_INLIERS:
        return None
    # Only those go to RANSAC: a match turned another way is not the copy's (bench/theft.py, 716 works
    # at 1M hashes: one crop and one frame more caught, no false match, the fits cheaper).
    keep[np.flatnonzero(keep)] = alike
    source = query_at[keep, :2].astype(np.float32)
    target = stored_at[nearest[keep], :2].astype(np.float32)
    fit, inlying = _ransac_fit(source, target, stored_size, iterations=RANSAC_ITERATIONS, confidence=0.995)
    if fit is None:
        return None
    inliers = int(inlying.sum())
    scale = float(np.hypot(fit[0, 0], fit[1, 0]))
    if inliers < MIN_INLIERS or not SCALES[0] <= scale <= SCALES[1]:
        return None
    return Transform(matrix=fit[:, :2].astype(np.float64), shift=fit[:, 2].astype(np.float64), inliers=inliers)


def matched_repeated(
    query: tuple[np.ndarray, np.ndarray], stored: tuple[np.ndarray, np.ndarray], stored_size: tuple[int, int]
) -> Transform | None:
    """The similarity a work made of repeated corners agrees on, or None: for charts, pages of text
    and interfaces, whose distinctive corners (keypoints.detected) are too few for `matched` (a bar
    chart keeps 5–20). Each side is its distinctive and its repeated corners together. No ratio
    test and no each-other's-nearest (a repeated corner's nearest is one of its repeats): every
    upload corner offers its `REPEATED_CHOICES` nearest stored corners, those turned by the
    commonest turn are kept, and RANSAC picks the transform that most of them agree on (a copy's
    bars or letters all map onto themselves; a shift by one bar or line maps only some). At least
    `MIN_INLIERS` distinct upload corners must agree, and appearance.looks_alike must then hold, as
    for `matched`."""
    (query_at, query_bytes), (stored_at, stored_bytes) = query, stored
    if len(query_bytes) < MIN_INLIERS or len(stored_bytes) < MIN_INLIERS:
        return None
    choices = min(REPEATED_CHOICES, len(stored_bytes))
    bits, nearest = keypoints.nearest_of(query_bytes, stored_bytes, choices)
    asked = np.repeat(np.arange(len(query_bytes)), choices)
    answered, close = nearest.ravel(), bits.ravel() <= MATCH_BITS
    asked, answered = asked[close], answered[close]
    if len(asked) < MIN_INLIERS:
        return None
    turns = (stored_at[answered, 3] - query_at[asked, 3]) % 360
    commonest = _commonest_turn(turns)
    alike = np.abs((turns - commonest + 180) % 360 - 180) <= TURN_WINDOW / 2
    asked, answered = asked[alike], answered[alike]
    if len(np.unique(asked)) < MIN_INLIERS:
        return None
    source, target = query_at[asked, :2].astype(np.float32), stored_at[answered, :2].astype(np.float32)
    fit, inlying = _ransac_fit(source, target, stored_size, iterations=REPEATED_ITERATIONS, confidence=0.999)
    if fit is None:
        return None
    inlying = inlying.ravel().astype(bool)
    # Distinct corners on both sides: one upload corner offered three stored ones counts once.
    inliers = min(len(np.unique(asked[inlying])), len(np.unique(answered[inlying])))
    scale = float(np.hypot(fit[0, 0], fit[1, 0]))
    if inliers < MIN_INLIERS or not SCALES[0] <= scale <= SCALES[1]:
        return None
    return Transform(matrix=fit[:, :2].astype(np.float64), shift=fit[:, 2].astype(np.float64), inliers=inliers)


def matched_near(
    query: tuple[np.ndarray, np.ndarray],
    stored: tuple[np.ndarray, np.ndarray],
    stored_size: tuple[int, int],
    placement: Transform,
) -> Transform | None:
    """The similarity the two pictures' corners agree on near `placement` (where the upload's shared
    probes put it on the work: ranking.py), or None. Each side is all its corners, repeated ones too.
    `matched` pairs corners by their descriptors alone: a chart's few corners are all alike, a
    cropped or framed screenshot's are described from patches the edit changed, and the ratio test
    or the each-other's-nearest test leaves fewer than MIN_INLIERS. Here the place does that work:
    each upload corner is paired with the stored corners that land within NEAR_RADIUS of where
    `placement` takes it, turned as it says (within TURN_WINDOW), with the nearest descriptor within
    NEAR_BITS, each other's nearest among them; RANSAC fits them, and again within NEAR_REFINE of
    that fit. MIN_INLIERS must agree, as for the other fits (with six, 13 pairs of distinct sparse
    charts of bench/theft.py passed appearance.looks_alike), and the caller still asks it."""
    (query_at, query_bytes), (stored_at, stored_bytes) = query, stored
    if min(len(query_bytes), len(stored_bytes)) < MIN_INLIERS:
        return None
    diagonal = float(np.hypot(*stored_size))
    transform = placement
    for radius in (NEAR_RADIUS, NEAR_REFINE):
        asked, answered = _paired_near(query, stored, transform, radius * diagonal)
        if len(asked) < MIN_INLIERS:
            return None
        source, target = query_at[asked, :2].astype(np.float32), stored_at[answered, :2].astype(np.float32)
        fit, inlying = _ransac_fit(source, target, stored_size, iterations=RANSAC_ITERATIONS, confidence=0.995)
        if fit is None:
            return None
        inliers = int(inlying.sum())
        if inliers < MIN_INLIERS or not SCALES[0] <= float(np.hypot(fit[0, 0], fit[1, 0])) <= SCALES[1]:
            return None
        transform = Transform(matrix=fit[:, :2].astype(np.float64), shift=fit[:, 2].astype(np.float64), inliers=inliers)
    return transform


def _paired_near(query, stored, transform: Transform, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """(upload corners, stored corners) paired as `matched_near` says, near `transform`."""
    (query_at, query_bytes), (stored_at, stored_bytes) = query, stored
    landed = query_at[:, :2] @ transform.matrix.T + transform.shift
    # Only the stored corners within `radius` across of where each upload corner lands are looked at:
    # the stored ones in order of x, each upload corner's band of them found by bisection (the whole
    # upload × stored grid cost 7.3 ms a call, in 1,217 calls of bench/theft.py crops and frames).
    by_x = np.argsort(stored_at[:, 0])
    across = stored_at[by_x, 0]
    first = np.searchsorted(across, landed[:, 0] - radius)
    count = np.searchsorted(across, landed[:, 0] + radius, side="right") - first
    asked = np.repeat(np.arange(len(landed)), count)
    answered = by_x[np.repeat(first, count) + np.arange(len(asked)) - np.repeat(np.cumsum(count) - count, count)]
    gap = landed[asked] - stored_at[answered, :2]
    turn = np.degrees(np.arctan2(transform.matrix[1, 0], transform.matrix[0, 0]))
    turned = (stored_at[answered, 3] - query_at[asked, 3] - turn + 180) % 360 - 180
    close = ((gap * gap).sum(axis=1) <= radius * radius) & (np.abs(turned) <= TURN_WINDOW / 2)
    asked, answered = asked[close], answered[close]
    words_asked, words_stored = query_bytes.view(np.uint64), stored_bytes.view(np.uint64)
    bits = np.bitwise_count(words_asked[asked] ^ words_stored[answered]).sum(axis=1)
    close = bits <= NEAR_BITS
    asked, answered, bits = asked[close], answered[close], bits[close]
    # Each upload corner's nearest, and each stored corner's (ties to the first corner): a pair
    # stands when it is both. In the order of the upload's corners, then the stored ones': RANSAC's
    # sampling depends on it.
    order = np.lexsort((answered, bits, asked))
    first_asked = order[np.r_[True, asked[order][1:] != asked[order][:-1]]] if len(order) else order
    order = np.lexsort((asked, bits, answered))
    first_answered = order[np.r_[True, answered[order][1:] != answered[order][:-1]]] if len(order) else order
    both = np.intersect1d(first_asked, first_answered)
    both = both[np.lexsort((answered[both], asked[both]))]
    return asked[both], answered[both]


def window_transform(
    query_box: tuple[int, int, int, int], stored_box: tuple[int, int, int, int], mirrored_width: int | None = None
) -> Transform:
    """What a PDQ match between two windows says of where the upload lies on the stored work: the
    upload's window laid on the stored one (each side scaled on its own: a copy resized without its
    aspect still matches). `mirrored_width`: the upload's width when its window is of its mirror."""
    qx0, qy0, qx1, qy1 = query_box
    sx0, sy0, sx1, sy1 = stored_box
    scale_x, scale_y = (sx1 - sx0) / max(qx1 - qx0, 1), (sy1 - sy0) / max(qy1 - qy0, 1)
    if mirrored_width is None:
        matrix = np.array([[scale_x, 0.0], [0.0, scale_y]])
        shift = np.array([sx0 - scale_x * qx0, sy0 - scale_y * qy0])
    else:  # the mirror's column u is the upload's mirrored_width - 1 - u
        matrix = np.array([[-scale_x, 0.0], [0.0, scale_y]])
        shift = np.array([sx0 + scale_x * (mirrored_width - 1 - qx0), sy0 - scale_y * qy0])
    return Transform(matrix=matrix, shift=shift, inliers=0)


def _commonest_turn(turns: np.ndarray) -> float:
    """The centre of the TURN_WINDOW-wide arc holding the most of `turns` (degrees)."""
    ordered = np.sort(turns)
    wrapped = np.concatenate([ordered, ordered + 360])
    ends = np.searchsorted(wrapped, ordered + TURN_WINDOW, side="right")
    start = int((ends - np.arange(len(ordered))).argmax())
    return float((ordered[start] + TURN_WINDOW / 2) % 360)


def _turned_alike(query_angles: np.ndarray, stored_angles: np.ndarray) -> np.ndarray:
    """Which matches turned by about the same angle as most: those in the TURN_WINDOW-wide arc of
    turns holding the most. A copy's corners all turned alike (ORB gives each its orientation);
    chance matches turn every way, and most comparisons that would run RANSAC's 2,000 iterations
    for nothing have fewer than MIN_INLIERS here."""
    turns = (stored_angles - query_angles) % 360
    if not len(turns):
        return np.zeros(0, dtype=bool)
    return np.abs((turns - _commonest_turn(turns) + 180) % 360 - 180) <= TURN_WINDOW / 2


def _ransac_fit(source: np.ndarray, target: np.ndarray, stored_size, *, iterations: int, confidence: float):
    """(2x3 similarity or None, inlier mask): the rotation, scale and shift most corner pairs agree on
    to within TOLERANCE of the stored work's diagonal."""
    return cv2.estimateAffinePartial2D(
        source,
        target,
        method=cv2.RANSAC,
        ransacReprojThreshold=TOLERANCE * float(np.hypot(*stored_size)),
        maxIters=iterations,
        confidence=confidence,
        refineIters=10,
    )
