"""Where pdq_confirm.py's thresholds come from: for every PDQ match within MATCH_DISTANCE, between a
copy of bench/theft.py and its original and between two distinct works of the corpus, how well the
pixels agree (normalised cross-correlation with the stored thumbnail) through the two matched
windows and through the transform the corners agree on (verify.matched), and whether the match
stands under pdq_confirm's rule. In memory, no database: the copies are those of bench/theft.py
(same corpus, same generator seed, same order), so the names line up with its `missed` lists.
Writes bench/results/theft_pdq_pixels.json.

    python bench/theft_pdq_pixels.py [--every K]
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
RESULTS = ROOT / "bench" / "results" / "theft_pdq_pixels.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--every", type=int, default=1, help="every K-th work only (a quick run)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    import django

    django.setup()
    from atelier.protection.theft import fingerprints
    from bench.theft import copy_rng, distinct_works
    from bench.theft_variants import KINDS

    kept = {}
    for _, name, image in distinct_works(None, args.every):
        stored = fingerprints.stored(image)
        if stored.hashes:
            kept[name] = (image, stored)
    kinds = {}
    for kind, make in KINDS.items():
        best = []
        for name, (image, stored) in kept.items():
            asked = fingerprints.query(make(image, copy_rng(kind, name)))  # bench/theft.py's copies
            matches = _pdq_matches(asked, stored) if asked.hashes else []
            if matches:
                best.append({"work": name, **max(matches, key=_strength)})
        kinds[kind] = _summary(best)
        print(kind, kinds[kind]["copies_pdq_found"], "standing", kinds[kind]["standing"], flush=True)
    distinct, nearest_bits = _distinct_pairs(kept)
    result = {
        "works": len(kept),
        "rule": _rule(),
        "copies": kinds,
        "distinct_pairs_within_match_distance": distinct,
        "distinct_pairs_standing": sum(pair["stands"] for pair in distinct),
        "distinct_pairs_nearest_bits": nearest_bits,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"distinct pairs within reach {len(distinct)}, standing {result['distinct_pairs_standing']}")
    print(f"wrote {args.out}")


def _rule() -> dict:
    from atelier.protection.theft import index, pdq_confirm

    return {
        "match_distance_bits": index.MATCH_DISTANCE,
        "trusted_bits": pdq_confirm.TRUSTED_BITS,
        "min_ncc": pdq_confirm.PDQ_MIN_NCC,
    }


def _pdq_matches(asked, stored) -> list[dict]:
    """Every pair of PDQ hashes (upload, stored work) within MATCH_DISTANCE, with the correlation
    through its windows, the correlation through the corners' transform, and the rule's verdict."""
    from atelier.protection.theft import appearance, fingerprints, index, keypoints, pdq_confirm, verify

    found = []
    through_corners = None
    for one in (h for h in asked.hashes if h.corner is None):
        for other in (h for h in stored.hashes if h.corner is None):
            bits = fingerprints.distance(one.value, other.value)
            if bits > index.MATCH_DISTANCE:
                continue
            box = fingerprints.stored_window_box(stored.size, other.window, stored.trimmed_box)
            mirrored = asked.gray.shape[1] if one.window >= fingerprints.MIRRORED else None
            windows = appearance.resemblance(
                asked.gray, stored.thumbnail, stored.size, verify.window_transform(one.box, box, mirrored)
            )
            if through_corners is None:
                fit = verify.matched(keypoints.unpacked(asked.corners), keypoints.unpacked(stored.corners), stored.size)
                through_corners = (
                    appearance.resemblance(asked.gray, stored.thumbnail, stored.size, fit) if fit is not None else None
                )
                through_corners = -1.0 if through_corners is None else through_corners
            corners = None if through_corners < 0 else through_corners
            stands = (
                bits <= pdq_confirm.TRUSTED_BITS
                or (windows or 0) >= pdq_confirm.PDQ_MIN_NCC
                or (corners or 0) >= pdq_confirm.PDQ_MIN_NCC
            )
            found.append(
                {"bits": bits, "query_window": one.window, "stored_window": other.window,
                 "ncc_windows": _rounded(windows), "ncc_corners": _rounded(corners), "stands": stands}
            )  # fmt: skip
    return found


def _strength(match: dict) -> tuple:
    return (match["stands"], max(match["ncc_windows"] or -1, match["ncc_corners"] or -1))


def _rounded(value):
    return None if value is None else round(float(value), 3)


def _summary(best: list[dict]) -> dict:
    windows = np.array([m["ncc_windows"] if m["ncc_windows"] is not None else -1 for m in best])
    either = np.array([max(m["ncc_windows"] or -1, m["ncc_corners"] or -1) for m in best])
    return {
        "copies_pdq_found": len(best),
        "standing": sum(m["stands"] for m in best),
        "ncc_windows_p1_p5_p50": np.percentile(windows, [1, 5, 50]).round(3).tolist() if len(best) else None,
        "ncc_better_of_two_p1_p5_p50": np.percentile(either, [1, 5, 50]).round(3).tolist() if len(best) else None,
        "not_standing": [m for m in best if not m["stands"]],
        "standing_on_pdqs_word_below_min_ncc": sum(
            m["stands"] and max(m["ncc_windows"] or -1, m["ncc_corners"] or -1) < _rule()["min_ncc"] for m in best
        ),
    }


def _distinct_pairs(kept: dict) -> tuple[list[dict], list[int]]:
    """PDQ matches within MATCH_DISTANCE between distinct works (each asked as an upload against
    every other's stored hashes), and the ten nearest distances between distinct works."""
    from atelier.protection.theft import fingerprints, index

    names = list(kept)
    values, owner = [], []
    for n, name in enumerate(names):
        for one in kept[name][1].hashes:
            if one.corner is None:
                values.append(one.value)
                owner.append(n)
    words = np.frombuffer(b"".join(values), dtype=np.uint64).reshape(-1, 4)
    owner = np.array(owner)
    pairs, nearest = [], []
    for n, name in enumerate(names):
        asked = fingerprints.query(kept[name][0])
        bits = np.full(len(words), 256)
        for one in (h for h in asked.hashes if h.corner is None):
            bits = np.minimum(bits, np.bitwise_count(words ^ np.frombuffer(one.value, dtype=np.uint64)).sum(axis=1))
        bits[owner == n] = 256
        nearest.append(int(bits.min()))
        for other in sorted({names[owner[r]] for r in np.flatnonzero(bits <= index.MATCH_DISTANCE)}):
            pairs += [{"work": name, "matched": other, **match} for match in _pdq_matches(asked, kept[other][1])]
    return pairs, sorted(nearest)[:10]


if __name__ == "__main__":
    main()
