"""bench/theft.py --diagnose: for each copy the index missed, the stage where it was lost, so a
change can be aimed at the stage that loses the most (`lost_at` in bench/results/theft.json)."""

from collections import Counter

import numpy as np


def where_lost(query, item, kept, uploader_id: int) -> dict:
    """Where a missed copy was lost: its original's rows absent from the candidates statement's rows
    (retrieval; `capped` when the statement hit candidates.CANDIDATE_CAP), present but not among the works
    compared (or not among the REPEATED_GROUPS given the second fit), or rejected by verify.py
    against its original (no transform, either fit, or too little resemblance)."""
    from atelier.protection.theft import appearance, candidates, index, keypoints, verify

    if not query.hashes:
        return {"stage": "unhashable", "rows": 0, "inliers": None, "resemblance": None}
    sql, params = candidates.statement(query.hashes, uploader_id)
    rows = candidates.fetched(sql, params)
    own = [row for row in rows if row[1] == item.pk]
    probes = [one.value for one in query.hashes if index.is_keypoint(one.window)]
    near_probe = bool(own and probes) and bool(
        (
            keypoints.bits_apart(index._words([bytes(r[4]) for r in own]), index._words(probes))
            <= index.KEYPOINT_DISTANCE
        ).any()
    )
    rank, placed = rank_of(
        rows, probes and [one for one in query.hashes if index.is_keypoint(one.window)], item.pk, query.gray
    )
    transform = None
    if query.corners and kept.corners:
        # At every scale, as the lookup compares them (index.nearest).
        asked = keypoints.unpacked(query.corners + query.rescaled)
        transform = verify.matched(asked, keypoints.unpacked(kept.corners), kept.size)
    if transform is None:  # as the lookup tries it for its best-ranked works
        asked = index._joined(keypoints.unpacked(query.corners), keypoints.unpacked(query.repeated))
        work = index._joined(keypoints.unpacked(kept.corners), keypoints.unpacked(kept.repeated))
        transform = verify.matched_repeated(asked, work, kept.size)
    if transform is None and placed is not None:  # as the lookup pairs corners by place
        every_corner = index._joined(
            keypoints.unpacked(query.corners + query.rescaled), keypoints.unpacked(query.repeated)
        )
        work = index._joined(keypoints.unpacked(kept.corners), keypoints.unpacked(kept.repeated))
        transform = verify.matched_near(every_corner, work, kept.size, placed)
    score = None if transform is None else appearance.resemblance(query.gray, kept.thumbnail, kept.size, transform)
    if transform is None:
        stage = "verify:no_transform"
    elif not appearance.looks_alike(query.gray, kept.thumbnail, kept.size, transform):  # a stamp left out too
        stage = "verify:unlike"
    elif not near_probe:
        stage = "retrieval:capped" if len(rows) >= candidates.CANDIDATE_CAP else "retrieval:no_probe"
    else:
        stage = "retrieval:not_ranked"
    return {"stage": stage, "rows": len(rows), "inliers": None if transform is None else transform.inliers,
            "resemblance": None if score is None else round(score, 3), "rank": rank}  # fmt: skip


def rank_of(rows, probes, item_id: int, gray) -> tuple[int | None, object]:
    """Where the keypoint ranking (ranking.py, both steps) put the original among the works it brings
    up (0: first; the lookup compares the first index.MAX_GROUPS), or None when no probe brought it up;
    and where its upright side's probes placed the upload when the upload looks like it there
    (index.NEAR_RESEMBLANCE: the lookup then pairs corners by place), else None."""
    from atelier.protection.theft import index, keypoints

    if not rows or not probes:
        return None, None
    stored = index._words([bytes(row[4]) for row in rows])
    bits = keypoints.bits_apart(stored, index._words([one.value for one in probes]))
    bits[~np.array([index.is_keypoint(row[5]) for row in rows])] = 256
    r, q = np.nonzero(bits <= index.KEYPOINT_DISTANCE)
    if not len(r):
        return None, None
    items = np.array([row[1] for row in rows])
    keys, group = np.unique(items[r] * 256 + np.array([row[5] for row in rows])[r], return_inverse=True)

    ordered, placements, resemblance, _ = index._group_order(rows, keys, group.ravel(), r, q, bits, probes, gray, None)
    order = list(dict.fromkeys(int(keys[g]) // 256 for g in ordered))
    upright = np.flatnonzero(keys == item_id * 256 + index.KEYPOINT)
    placed = None
    if len(upright) and resemblance.get(int(upright[0]), -1) >= index.NEAR_RESEMBLANCE:
        placed = placements[int(upright[0])]
    return (order.index(item_id) if item_id in order else None), placed


def lost_summary(lost: dict) -> dict:
    return {kind: dict(Counter(one["stage"] for one in rows)) for kind, rows in lost.items()}
