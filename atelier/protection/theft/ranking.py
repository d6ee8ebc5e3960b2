"""Which stored works a keypoint lookup compares whole (index.py): the works its probes brought up,
best first, in two steps.

1. By their shared probes (`ranked_groups`). An upload corner counts by how close its descriptor is
   (squared: a copy's own corners are much closer than a look-alike's), divided by the number of
   works it brings up, so the corner every chart or page has weighs little. Of a work's shared
   probes only those that agree with its best-placed one count (`agreeing`): a copy's shared corners
   sit where one crop, turn and scale put them, while a work that shares many generic corners with
   the upload (pixel art's grid, a font's letters) shares them scattered.
2. By the picture (`by_resemblance`). Charts, pages and interfaces share many generic corners that
   agree on a placement by chance, so step 1 alone left the original of a cropped, turned or framed
   copy behind a dozen look-alikes (bench/theft.py --diagnose: 57 crops, 52 turns and 57 frames of
   716 lost as "not ranked", the original at 3rd to 100th). The `SHORTLIST` best of step 1 are put
   in order by how well the upload, placed on each where its agreeing probes say (`placements`),
   correlates with the work's 32 × 32 thumbnail (appearance.resemblance): the original correlates
   through its true placement, a look-alike's chance placement shows another picture. Only the
   order changes here; verify.py still decides every match.
"""

from dataclasses import dataclass

import numpy as np

from atelier.protection.theft import appearance, verify

AGREE_TURN = 30  # degrees: two shared probes' own turns and the turn of the line between them, within this
AGREE_SCALE = 1.6  # the line between two probes scales as their sizes do, within this factor (ORB's sizes step by 1.3)
AGREE_PROBES = 24  # of a group's shared probes, the heaviest, whose agreement ranks it
AGREE_SPAN = 12  # pixels of the upload: closer probes say nothing of the turn between them
# Groups (work, side) of step 1 put in order by resemblance. bench/theft.py at 1M hashes: crop recall
# 0.849 -> 0.866, border 0.876 -> 0.879, rotate unchanged (a turned screenshot or page mostly shares
# only chance corners with its original, whose placement then says nothing). Paired on one database
# (176k hashes, 956 crops, turns, frames and stamps of every third work, both orders): lookup p50
# 21.0 -> 23.6 ms. 96 caught fewer (far-ranked look-alikes placed by chance then outrank the
# original), and so did comparing 8 works instead of index.MAX_GROUPS.
SHORTLIST = 48


@dataclass(frozen=True)
class Ranking:
    """Groups best first by their shared probes, and per group where its best-placed probe and those
    agreeing with it put the upload on the work (None: on no plausible scale)."""

    order: np.ndarray
    placements: list[verify.Transform | None]


def ranked_groups(group, r, q, bits, stored_geometry_of, asked_geometry: np.ndarray, distance: int) -> Ranking:
    """Step 1 for the (stored row `r`, upload probe `q`) pairs numbered by `group` (a work and side),
    `bits` their Hamming distances (rows × probes), `stored_geometry_of(rows)` the stored corners'
    x, y, size, angle and `asked_geometry` the probes' (one row each), `distance` the farthest a
    shared probe may be."""
    b = bits[r, q]
    # Each upload corner once per group, at its closest stored corner there.
    order = np.lexsort((b, q, group))
    group, r, q, b = group[order], r[order], q[order], b[order]
    first = np.ones(len(group), dtype=bool)
    first[1:] = (group[1:] != group[:-1]) | (q[1:] != q[:-1])
    group, r, q, b = group[first], r[first], q[first], b[first]
    reach = np.bincount(q, minlength=len(asked_geometry))  # how many works each upload corner brings up
    weight = (distance + 1 - b).astype(np.float64) ** 2 / reach[q]
    # A group's AGREE_PROBES heaviest probes are enough to rank it: the works sharing hundreds (charts,
    # pages) would otherwise cost the square of that in `agreeing`.
    order = np.lexsort((-weight, group))
    group, r, q, weight = group[order], r[order], q[order], weight[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    within = np.arange(len(group)) - np.repeat(starts, np.diff(np.r_[starts, len(group)]))
    kept = within < AGREE_PROBES
    group, weight = group[kept], weight[kept]
    stored, asked = stored_geometry_of(r[kept]), asked_geometry[q[kept]]
    best, placements = _agreeing_placed(group, weight, stored, asked)
    return Ranking(order=np.argsort(-best, kind="stable"), placements=placements)


def by_resemblance(
    order: np.ndarray, placements, thumbnail_of, gray: np.ndarray, summed: np.ndarray | None
) -> tuple[np.ndarray, dict[int, float]]:
    """Step 2: the first SHORTLIST groups of `order` by how well `gray`, the prepared upload, placed
    as `placements` says, correlates with `thumbnail_of(g)` ((pixels, (width, height)) of the group's
    side of the work, or None), best first; ties and groups without a placement or thumbnail keep
    their order after those with one; the rest of `order` follows unchanged. With the order, each
    compared group's correlation (appearance.resemblance; -1 where too little of the work was inside the
    upload): index.py pairs corners by the placement where it is high (verify.matched_near).
    `summed`: appearance.summed_area(gray)."""
    shortlist, rest = order[:SHORTLIST], order[SHORTLIST:]
    scores = np.full(len(shortlist), -2.0)
    compared = [(at, placements[g], thumbnail_of(int(g))) for at, g in enumerate(shortlist)]
    compared = [
        (at, placement, thumbnail)
        for at, placement, thumbnail in compared
        if placement is not None and thumbnail is not None
    ]
    if compared:
        at, placed, thumbnails = zip(*compared, strict=True)
        pixels, sizes = zip(*thumbnails, strict=True)
        score = appearance.resemblances(gray, list(pixels), list(sizes), list(placed), summed)
        scores[list(at)] = np.nan_to_num(score, nan=-1.0)
    compared_scores = {int(shortlist[one]): float(scores[one]) for one in (at if compared else ())}
    return np.concatenate([shortlist[np.argsort(-scores, kind="stable")], rest]), compared_scores


def agreeing(group: np.ndarray, weight: np.ndarray, stored: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """Per group, the largest weight of shared probes (one stored and one upload corner each, geometry
    x, y, size, angle) that agree with one of them on a similarity: with that probe, each has turned
    as both corners' orientations say, and the line between the two has turned and scaled alike."""
    return _agreeing_placed(group, weight, stored, asked)[0]


def _agreeing_placed(group, weight, stored, asked) -> tuple[np.ndarray, list[verify.Transform | None]]:
    """`agreeing`, and per group the similarity (upload → stored) fitted to its best-placed probe and
    those agreeing with it. All groups at once, pairs of probes within a group only (a few hundred
    groups a lookup)."""
    order = np.argsort(group, kind="stable")
    group, weight, stored, asked = group[order], weight[order], stored[order], asked[order]
    groups = group.max() + 1 if len(group) else 0
    count = np.bincount(group, minlength=groups)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    # Every (i, j) of one group: i repeated over its group, j running over the same group.
    i = np.repeat(np.arange(len(group)), count[group])
    j = start[group[i]] + (np.arange(len(i)) - np.repeat(np.cumsum(count[group]) - count[group], count[group]))
    turn = (stored[:, 3] - asked[:, 3]) % 360
    size_ratio = stored[:, 2] / np.maximum(asked[:, 2], 1e-6)
    line_stored, line_asked = stored[j, :2] - stored[i, :2], asked[j, :2] - asked[i, :2]
    span = np.hypot(*line_asked.T)
    line_scale = np.maximum(np.hypot(*line_stored.T), 1e-6) / np.maximum(span, 1e-6)
    line_turn = np.degrees(
        np.arctan2(line_stored[:, 1], line_stored[:, 0]) - np.arctan2(line_asked[:, 1], line_asked[:, 0])
    )
    agree = (
        (span >= AGREE_SPAN)
        & (_apart(line_turn, turn[i]) <= AGREE_TURN)
        & (_apart(line_turn, turn[j]) <= AGREE_TURN)
        & (np.abs(np.log(line_scale / size_ratio[i])) <= np.log(AGREE_SCALE))
        & (np.abs(np.log(line_scale / size_ratio[j])) <= np.log(AGREE_SCALE))
    )
    with_i = weight.copy()
    np.add.at(with_i, i[agree], weight[j[agree]])  # each probe's own weight and those agreeing with it
    best = np.zeros(groups)
    np.maximum.at(best, group, with_i)
    # The best-placed probe of each group (its first at the group's best weight), and those agreeing with it.
    leader = np.full(groups, -1)
    at_best = np.flatnonzero(with_i == best[group])
    led, first_at = np.unique(group[at_best], return_index=True)
    leader[led] = at_best[first_at]
    follows = agree & (leader[group[i]] == i)
    members = np.concatenate([leader[count > 0], j[follows]])
    return best, _placements(groups, group[members], stored[members], asked[members], turn, size_ratio, leader)


def _placements(groups, group, stored, asked, turn, size_ratio, leader) -> list[verify.Transform | None]:
    """Per group, the least-squares similarity taking its members' upload corners onto their stored
    ones (points as complex numbers: a similarity is z → a·z + b); a group of one corner is placed by
    that corner's own size and orientation."""
    n = np.bincount(group, minlength=groups).astype(np.float64)
    z_asked, z_stored = asked[:, 0] + 1j * asked[:, 1], stored[:, 0] + 1j * stored[:, 1]

    def mean(values: np.ndarray) -> np.ndarray:
        total = np.bincount(group, values.real, groups) + 1j * np.bincount(group, values.imag, groups)
        return total / np.maximum(n, 1)

    centre_asked, centre_stored = mean(z_asked), mean(z_stored)
    a, s = z_asked - centre_asked[group], z_stored - centre_stored[group]
    products = np.conj(a) * s
    spread = np.bincount(group, np.abs(a) ** 2, groups)
    linear = (np.bincount(group, products.real, groups) + 1j * np.bincount(group, products.imag, groups)) / np.maximum(
        spread, 1e-9
    )
    single = (n < 2) | (spread < AGREE_SPAN**2 / 2)  # two corners AGREE_SPAN apart: spread AGREE_SPAN² / 2
    at = leader[single & (leader >= 0)]
    linear[single & (leader >= 0)] = size_ratio[at] * np.exp(1j * np.radians(turn[at]))
    shift = centre_stored - linear * centre_asked
    placements: list[verify.Transform | None] = []
    for g in range(groups):
        scale = abs(linear[g])
        if n[g] == 0 or not verify.SCALES[0] <= scale <= verify.SCALES[1]:
            placements.append(None)
            continue
        p, q = linear[g].real, linear[g].imag
        matrix, moved = np.array([[p, -q], [q, p]]), np.array([shift[g].real, shift[g].imag])
        placements.append(verify.Transform(matrix=matrix, shift=moved, inliers=0))
    return placements


def _apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Degrees between two angles, 0–180."""
    return np.abs((a - b + 180) % 360 - 180)
