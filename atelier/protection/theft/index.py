"""The multi-index lookup: the candidates statement (candidates.py), then the exact Hamming distance
in numpy on the rows it returns.

PDQ rows match within MATCH_DISTANCE of a PDQ query hash, where the pixels agree (pdq_confirm.py).
Keypoint rows (keypoints.py) only bring works up: the rows within KEYPOINT_DISTANCE of an upload's
probe, grouped by stored item and side (upright or mirror), rank the works by those of their shared
probes that agree on one placement and then by how the upload looks on them there (ranking.py),
and the MAX_GROUPS best works are compared whole, upright first whichever side the probes reached:
all the upload's verification corners against all the work's
(`Thumbnail.corners`, read with the thumbnails the ranking reads), which must agree on one transform,
and the upload must look like the stored thumbnail through it (appearance.py). When too few distinctive
corners agree, the REPEATED_GROUPS best ranked works are fitted again with the corners both sides
left out as repeated (charts, pages, interfaces: verify.matched_repeated); every compared work is,
when the upload itself has FEW_CORNERS. Where both fits fail on a work the upload already resembles
where its probes place it (NEAR_RESEMBLANCE), the corners are paired by that place
(verify.matched_near). Works PDQ already found are not compared again.
"""

from dataclasses import dataclass

import numpy as np

from atelier.protection.theft import appearance, candidates, keypoints, pdq_confirm, ranking, verify
from atelier.protection.theft.fingerprints import KEYPOINT, MIRRORED, Hash, Query
from atelier.protection.theft.keypoints import GEOMETRY_SCALE
from atelier.protection.theft.models import CHUNKS
from atelier.protection.theft.thumbnails import HEIGHT, PIXELS, WIDTH, thumbnails_of

# Of 256 bits. Every PDQ match beyond pdq_confirm.TRUSTED_BITS stands only where the pixels agree, so
# the reach is set by recall (bench/theft.py, all 716 works at 176k hashes, 40 -> 56: stamp 0.899 ->
# 0.941, resize 0.982 -> 0.997, colour 0.983 -> 0.985, the rest and the lookup time unchanged, no
# false match) and by the distinct works it lets through to the pixels: 3 pairs within 40 bits, 5
# within 56, correlating at 0.80 at most against pdq_confirm's 0.85 (bench/theft_pdq_pixels.py); 64
# caught 2 more stamps of 716 for 8 distinct pairs within reach.
MATCH_DISTANCE = 56
KEYPOINT_DISTANCE = 56  # of 256 bits, between two ORB descriptors of one corner
# Stored works a keypoint lookup compares at most: every work of ranking.py's shortlist. bench/theft.py
# (all 716 works, 176k hashes), 12 -> 48: crop recall 0.866 -> 0.901, rotate 0.885 -> 0.937, border
# 0.878 -> 0.927, stamp 0.891 -> 0.899, still no false match; lookup p50 27 -> 50 ms, p95 44 -> 82 ms
# (the lookup runs on the detection worker, beside a 320 ms classifier). The originals it brings in
# were ranked 12th to 47th: a dozen look-alike charts, pages or interfaces outrank them by their shared
# probes and by resemblance at a placement those probes guessed; verify.py then tells them apart.
MAX_GROUPS = ranking.SHORTLIST
REPEATED_GROUPS = 3  # of those, how many may also be fitted on their repeated corners (lookup p95)
# An upload with fewer distinctive corners than this is made of repeated ones (a chart keeps 2-18 of
# keypoints.VERIFY_KEYPOINTS, the other kinds of bench/human_corpus.py 44 or more at p10, most 200):
# every work it is compared with may be fitted on its repeated corners, not only REPEATED_GROUPS of
# them, since its look-alikes (other charts on the same axes) take the first places and fail the
# distinctive fit too. bench/theft.py (716 works, 176k hashes): crop recall 0.901 -> 0.913, rotate
# 0.937 -> 0.948, border 0.929 -> 0.939, no false match, lookup p50 / p95 unchanged (52 / 80 ms).
FEW_CORNERS = 50
# A compared work on which the upload, placed where its shared probes say, correlates at this much
# (ranking.by_resemblance) gets its corners paired by place when both fits fail (verify.matched_near).
NEAR_RESEMBLANCE = 0.5
# Of those, how many a lookup pairs by place at most (~2.9 ms each): the shortlist is in order of
# resemblance, so the original comes early. bench/theft.py (716 works, 176k hashes), uncapped -> 3:
# the same recall to the copy, lookup p50 / p95 65.0 / 120.1 -> 61.2 / 105.4 ms.
NEAR_GROUPS = 3
_SIDES = 256  # window codes are below this: an (item, window) pair is item * _SIDES + window


def chunks_of(value: bytes) -> list[int]:
    """The 16 chunks of a hash as the signed numbers the columns hold."""
    return [int.from_bytes(value[2 * n : 2 * n + 2], "big") - 32768 for n in range(CHUNKS)]


def chunk_columns(value: bytes) -> dict[str, int]:
    return {f"chunk_{n}": chunk for n, chunk in enumerate(chunks_of(value))}


def corner_columns(one: Hash) -> dict[str, int | None]:
    """The keypoint geometry columns of a hash (all None for a PDQ hash)."""
    if one.corner is None:
        return {"kp_x": None, "kp_y": None, "kp_size": None, "kp_angle": None}
    x, y, size, angle = one.corner
    scaled = [min(32767, round(v * GEOMETRY_SCALE)) for v in (x, y, size)]
    return {"kp_x": scaled[0], "kp_y": scaled[1], "kp_size": scaled[2], "kp_angle": round(angle) % 360}


def is_keypoint(window: int) -> bool:
    return window % MIRRORED == KEYPOINT


@dataclass(frozen=True)
class Near:
    fingerprint_id: int
    item_id: int
    post_id: int
    author_id: int
    distance: int  # bits; for a keypoint match the mean over its agreeing corners
    query_window: int
    stored_window: int
    # Found only by a fit that look-alike charts, pages and interfaces also pass: on repeated corners
    # or corners paired by place, with fewer than appearance.AGREED_INLIERS agreeing (`_decided`).
    weak: bool = False


def _words(values: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(values), dtype=np.uint64).reshape(len(values), 4)


def nearest_to(asked: Query, *, exclude_author_id: int | None = None) -> list[Near]:
    """`nearest` for an upload as `fingerprints.query` prepared it: its hashes, picture and corners."""
    return nearest(
        hashes=asked.hashes,
        gray=asked.gray,
        corners=asked.corners,
        repeated=asked.repeated,
        rescaled=asked.rescaled,
        exclude_author_id=exclude_author_id,
    )


def nearest(
    *,
    hashes: list[Hash],
    gray: np.ndarray | None = None,
    corners: bytes | None = None,
    repeated: bytes | None = None,
    rescaled: bytes | None = None,
    max_distance: int = MATCH_DISTANCE,
    exclude_author_id: int | None = None,
) -> list[Near]:
    """Matchable works near `hashes`, closest first, one per item. Keypoint hashes count only with
    `gray`, the prepared upload they were found in, and `corners`, its verification corners
    (`fingerprints.Query.corners`, `repeated`, those left out as repeated, and `rescaled`, those of
    the upload at keypoints.RESCALES; found in `gray` here when not given): verify.py compares
    them with the stored work's."""
    if not hashes:
        return []
    rows = candidates.fetched(*candidates.statement(hashes, exclude_author_id))
    if not rows:
        return []
    stored = _words([bytes(row[4]) for row in rows])
    stored_is_corner = np.array([is_keypoint(row[5]) for row in rows])
    if gray is not None and (corners is None or repeated is None):
        distinctive, left_out = keypoints.detected_both(gray, keypoints.VERIFY_KEYPOINTS, keypoints.REPEATED_KEYPOINTS)
        corners, repeated = keypoints.packed(distinctive), keypoints.packed(left_out)
    if gray is not None and rescaled is None:
        rescaled = b"".join(
            keypoints.packed(keypoints.rescaled(gray, keypoints.RESCALED_VERIFY_KEYPOINTS, scale))
            for scale in keypoints.RESCALES
        )
    # What verify.matched compares: the upload's corners at every scale (packed values are rows of
    # one corner each, so two of them joined are one).
    matching = (corners or b"") + (rescaled or b"")
    found: dict[int, Near] = {}
    pdq = [one for one in hashes if not is_keypoint(one.window)]
    if pdq:
        bits = keypoints.bits_apart(stored, _words([one.value for one in pdq]))
        bits[stored_is_corner] = 256
        close = sorted(
            ((r, q, int(bits[r, q])) for r, q in zip(*np.nonzero(bits <= max_distance), strict=True)),
            key=lambda pair: pair[2],
        )
        # Without the picture (a caller holding hashes only) PDQ is taken at its word.
        standing = pdq_confirm.confirmed(rows, pdq, close, gray, matching) if gray is not None else None
        for r, q, distance in close:
            pk, item_id, post_id, author_id, _, window, *_ = rows[r]
            if item_id not in found and (standing is None or (r, q) in standing):
                found[item_id] = Near(pk, item_id, post_id, author_id, distance, pdq[q].window, window)
    probes = [one for one in hashes if is_keypoint(one.window)]
    if probes and gray is not None and stored_is_corner.any():
        # Works PDQ already found need no keypoint comparison; those whose pixels disagreed with it
        # still may be found by their corners.
        unfound = stored_is_corner & ~np.isin([row[1] for row in rows], list(found))
        if unfound.any():
            for near in _corner_matches(rows, stored, unfound, probes, (gray, corners, repeated, matching)):
                found[near.item_id] = near
    return sorted(_decided(list(found.values())), key=lambda near: near.distance)


def _decided(found: list[Near]) -> list[Near]:
    """The matches, without the weak ones when another is not weak. An upload copies one work, and
    two sparse charts on one pair of axes agree on a transform of 8-11 repeated corners and look
    alike through it at 32 × 32 (correlating at 0.95-0.99, as closely as the true copies fitted so).
    bench/theft.py, 729 works, every kind of copy: 20 of 5,832 copies, all charts, also matched
    another chart, 17 of them beside their own original found by PDQ or by distinctive corners; this
    drops the look-alike from 12 of those 17 (fingerprints.MIN_TRIMMED_SHARE from one more) and no
    copy's own original. A weak match on its own still holds the upload for review: a crop of a
    sparse chart may agree with its original on nothing stronger."""
    if all(near.weak for near in found):
        return found
    return [near for near in found if not near.weak]


def _corner_matches(
    rows, stored, stored_is_corner, corners: list[Hash], asked: tuple[np.ndarray, bytes, bytes, bytes]
) -> list[Near]:
    """Stored works sharing a keypoint with the upload whose corners agree with the upload's on a
    transform, and that look alike through it (verify.py, appearance.py). `asked` is the prepared
    upload in grey, its verification corners, those left out as repeated, and the corners
    verify.matched compares (its own and the rescaled ones; keypoints.packed each)."""
    gray, packed_corners, packed_repeated, packed_matching = asked
    bits = np.full((len(rows), len(corners)), 256, dtype=np.int32)
    bits[stored_is_corner] = keypoints.bits_apart(stored[stored_is_corner], _words([one.value for one in corners]))
    # Every (stored row, upload corner) pair within KEYPOINT_DISTANCE, grouped by stored item and
    # side, in numpy: a lookup has 1,800 such pairs at the median and 9,000 at p95, and a Python
    # loop over them cost 3 ms and 11 ms (bench/theft.py, crop copies).
    r, q = np.nonzero(bits <= KEYPOINT_DISTANCE)
    if not len(r):
        return []
    item_of = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
    window_of = np.fromiter((row[5] for row in rows), dtype=np.int64, count=len(rows))
    keys, group = np.unique(item_of[r] * _SIDES + window_of[r], return_inverse=True)
    group = group.ravel()
    by_group = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[by_group], np.arange(len(keys) + 1))

    def pairs_of(g: int) -> tuple[np.ndarray, np.ndarray]:
        """The (stored rows, upload corners) of group `g`."""
        at = by_group[bounds[g] : bounds[g + 1]]
        return r[at], q[at]

    # One shared probe is enough to be compared: a copy that is cropped, turned or framed keeps few
    # of the 32-bit probes whole (bench/theft.py: 9 copies in 10 shared at least one with their
    # original, a third shared 9). The MAX_GROUPS works ranked best are compared (ranking.py: by
    # their shared probes, then the best of those by how the upload looks on them).
    # Compared per work, upright first: a copy that is not mirrored can still share its few whole
    # probes with the mirror's rows of a work whose shapes are near-symmetric (flat art, interfaces),
    # and its upright corners, all of them, then decide (bench/theft.py --diagnose: 6 crops of 13
    # lost in ranking were brought up by the mirror's rows only).
    summed = appearance.summed_area(gray)  # the upload's, for every comparison of this lookup
    order, placements, resemblance, thumbnails = _group_order(rows, keys, group, r, q, bits, corners, gray, summed)
    ranked: dict[int, dict[int, int]] = {}  # item → its sides (window → group), best ranked first
    for g in order:
        item_id, window = divmod(int(keys[g]), _SIDES)
        if item_id in ranked or len(ranked) < MAX_GROUPS:
            ranked.setdefault(item_id, {})[window] = int(g)
    if not ranked:
        return []
    # The shortlist's thumbnails were read to rank it (`order` begins with it); the works ranked past
    # it (a shortlist of fewer works than MAX_GROUPS: a work's two sides are two groups) are read now.
    thumbnails |= thumbnails_of(ranked.keys() - {int(keys[g]) // _SIDES for g in order[: ranking.SHORTLIST]})
    upload = keypoints.unpacked(packed_corners)
    # Every scale for `matched`, which keeps only corners that are each other's nearest; not for
    # `matched_repeated`, which keeps every near pair: with twice the corners, two bar charts of one
    # layout fitted a transform (bench/theft.py, a false match).
    matching = keypoints.unpacked(packed_matching)
    upload_all = None  # with the repeated corners, unpacked once the first fallback needs them
    every_corner = None  # at every scale and the repeated ones: once the first pairing by place needs them
    fallbacks = pairings = 0
    fallbacks_allowed = MAX_GROUPS if len(upload[1]) < FEW_CORNERS else REPEATED_GROUPS
    made = []
    for item_id, windows in ranked.items():
        thumbnail = thumbnails.get(item_id)
        if thumbnail is None:
            continue
        size, pixels = (thumbnail[1], thumbnail[2]), bytes(thumbnail[3])
        upright = keypoints.unpacked(bytes(thumbnail[4])) if thumbnail[4] else None  # None: before `theft_backfill`
        stored_all = None  # with its repeated corners, unpacked once a fit needs them
        transform, window = (verify.matched(matching, upright, size), KEYPOINT) if upright else (None, KEYPOINT)
        weak_fit = False  # the transform came from the repeated corners or the pairing by place
        mirrored = next((w for w in windows if w >= MIRRORED), None)
        mirror_rows = np.unique(pairs_of(windows[mirrored])[0]) if mirrored is not None else []
        if transform is None and len(mirror_rows) >= verify.MIN_INLIERS:
            # The stored mirror's corners are only in its indexed rows: those the probes brought, and
            # the picture they are compared in is the mirror of the thumbnail. (A mirrored copy is
            # PDQ's to find; this catches a mirrored copy that is also cropped or turned.)
            # Fewer rows than MIN_INLIERS cannot agree on a transform.
            at = np.array([rows[one][6:10] for one in mirror_rows], dtype=np.float64)
            at[:, :3] /= GEOMETRY_SCALE
            transform = verify.matched(matching, (at, np.ascontiguousarray(stored[mirror_rows]).view(np.uint8)), size)
            if transform is not None:
                window = mirrored
                pixels = _mirrored(pixels)
        if transform is None and upright and fallbacks < fallbacks_allowed and (thumbnail[5] or packed_repeated):
            # Too few distinctive corners agree: a chart, a page, an interface. Their repeated
            # corners are fitted (verify.matched_repeated), for the few best-ranked works only
            # unless the upload itself has FEW_CORNERS.
            fallbacks += 1
            if upload_all is None:
                upload_all = _joined(upload, keypoints.unpacked(packed_repeated))
            stored_all = _joined(upright, _stored_repeated(thumbnail))
            transform = verify.matched_repeated(upload_all, stored_all, size)
            weak_fit = transform is not None
        near = windows.get(KEYPOINT)  # the upright side's group: its placement is on the thumbnail
        resembles = near is not None and resemblance.get(near, -1) >= NEAR_RESEMBLANCE
        if transform is None and upright and resembles and pairings < NEAR_GROUPS:
            # Where the probes put the upload, it already looks like the work: pair the corners by place.
            pairings += 1
            if every_corner is None:
                every_corner = _joined(matching, keypoints.unpacked(packed_repeated))
            if stored_all is None:
                stored_all = _joined(upright, _stored_repeated(thumbnail))
            transform = verify.matched_near(every_corner, stored_all, size, placements[near])
            weak_fit = transform is not None
        if transform is None or not appearance.looks_alike(gray, pixels, size, transform, summed):
            continue
        shared_rows, shared_corners = map(np.concatenate, zip(*(pairs_of(g) for g in windows.values()), strict=True))
        first = rows[shared_rows[0]]
        mean_bits = round(float(bits[shared_rows, shared_corners].mean()))
        weak = weak_fit and transform.inliers < appearance.AGREED_INLIERS
        made.append(Near(first[0], item_id, first[2], first[3], mean_bits, KEYPOINT, window, weak))
    return made


def _group_order(rows, keys, group, r, q, bits, probes: list[Hash], gray: np.ndarray, summed) -> tuple:
    """The groups (`keys`: item * _SIDES + window, numbered by `group` for each pair of stored row `r`
    and upload probe `q`) best first, by ranking.py's two steps: their shared probes, then the
    shortlist by how the upload (`gray`; `summed`, its appearance.summed_area) looks on each; with
    each group's placement and, for the shortlist, its resemblance there, and the shortlisted
    works' thumbnails (thumbnails_of rows, corners and all: the works compared next are these, so
    one statement reads them for both steps)."""

    def stored_geometry_of(stored_rows: np.ndarray) -> np.ndarray:
        at = np.array([rows[one][6:10] for one in stored_rows], dtype=np.float64).reshape(-1, 4)
        at[:, :3] /= GEOMETRY_SCALE
        return at

    asked_geometry = np.array([probe.corner for probe in probes], dtype=np.float64)
    by_probes = ranking.ranked_groups(group, r, q, bits, stored_geometry_of, asked_geometry, KEYPOINT_DISTANCE)
    pictures = thumbnails_of({int(keys[g]) // _SIDES for g in by_probes.order[: ranking.SHORTLIST]})

    def thumbnail_of(g: int) -> tuple[bytes, tuple[int, int]] | None:
        """The thumbnail of group `g`'s side of its work (mirrored for the mirror's rows)."""
        item_id, window = divmod(int(keys[g]), _SIDES)
        if item_id not in pictures:
            return None
        row = pictures[item_id]
        pixels = bytes(row[PIXELS])
        return (_mirrored(pixels) if window >= MIRRORED else pixels), (row[WIDTH], row[HEIGHT])

    order, resemblance = ranking.by_resemblance(by_probes.order, by_probes.placements, thumbnail_of, gray, summed)
    return order, by_probes.placements, resemblance, pictures


def _stored_repeated(thumbnail: tuple) -> tuple[np.ndarray, np.ndarray]:
    """A work's corners left out as repeated (a thumbnails_of row; NULL: hashed before they were kept)."""
    return keypoints.unpacked(bytes(thumbnail[5] or b""))


def _mirrored(pixels: bytes) -> bytes:
    """A square grey thumbnail's mirror image."""
    return np.frombuffer(pixels, dtype=np.uint8).reshape(-1, int(len(pixels) ** 0.5))[:, ::-1].tobytes()


def _joined(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Two unpacked corner sets as one (geometry, descriptors)."""
    return np.concatenate([a[0], b[0]]), np.ascontiguousarray(np.concatenate([a[1], b[1]]))
