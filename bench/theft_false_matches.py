"""What the false matches of bench/results/theft.json are: for each pair of distinct works that
matched, the share of pixels the two have in common (grey levels within `SAME`) once brought to one
height and centred, upright or mirrored, whichever is higher, against the same share for 200 random
pairs. Measured (2026-12-05): the matched pairs were renders of one camera, floor and sky (140 of 156)
and charts on one template, sharing 75–85 % of their pixels; but random pairs of flat-background works
share as much (p99 0.83), so this share does not separate near-duplicates from distinct works and
the bench's distinct set is not de-duplicated by it. Since 2026-12-06 each render of the corpus has
its own camera, floor, sky and light (bench/human_corpus.py): 2 pairs were left, two renders of one
striped floor seen head-on and a chart with a flat work, both PDQ matches whose pixels disagree;
since pdq_confirm.py checks them (bench/theft_pdq_pixels.py) none is. Writes
bench/results/theft_false_matches.json.

    python bench/theft_false_matches.py
"""

import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAME = 12  # grey levels
NEAR_DUPLICATE = 0.7  # share of pixels in common


def shared(a: Image.Image, b: Image.Image) -> float:
    height = min(a.height, b.height)
    a, b = (np.asarray(i.resize((round(i.width * height / i.height), height)).convert("L"), np.int16) for i in (a, b))
    width = min(a.shape[1], b.shape[1])
    a = a[:, (a.shape[1] - width) // 2 :][:, :width]
    b = b[:, (b.shape[1] - width) // 2 :][:, :width]
    return float((np.abs(a - b) <= SAME).mean())


def main() -> None:
    from bench.human_corpus import human_images

    results = json.loads((ROOT / "bench" / "results" / "theft.json").read_text())
    pairs = sorted({tuple(sorted((one["work"], one["matched"]))) for one in results["false_matches"]})
    names = {name for pair in pairs for name in pair}
    images = {name: image for _, name, image in human_images() if name in names}
    rows = []
    for a, b in pairs:
        share = max(shared(images[a], images[b]), shared(ImageOps.mirror(images[a]), images[b]))
        rows.append({"works": [a, b], "shared_pixels": round(share, 3)})
    rng = np.random.default_rng(0)
    pool = [(name, image) for _, name, image in human_images() if not name.startswith("flag")]
    unrelated = [shared(pool[i][1], pool[j][1]) for i, j in rng.integers(0, len(pool), (200, 2)) if i != j]
    near = [row for row in rows if row["shared_pixels"] >= NEAR_DUPLICATE]
    kinds = Counter(tuple(sorted(name.split("-")[0] for name in row["works"])) for row in rows)
    summary = {
        "distinct_pairs": len(rows),
        "near_duplicates": len(near),
        "near_duplicate_rule": f"at least {NEAR_DUPLICATE:.0%} of pixels within {SAME} grey levels",
        "pairs_by_kind": {"+".join(kind): count for kind, count in kinds.most_common()},
        "unrelated_pairs_shared_pixels": {
            "median": round(float(np.median(unrelated)), 3),
            "p99": round(float(np.percentile(unrelated, 99)), 3),
        },
        "works_left_with_a_false_match_after_the_rule": len(
            {name for row in rows if row["shared_pixels"] < NEAR_DUPLICATE for name in row["works"]}
        ),
        "pairs": rows,
    }
    (ROOT / "bench" / "results" / "theft_false_matches.json").write_text(json.dumps(summary, indent=2) + "\n")
    print({key: value for key, value in summary.items() if key != "pairs"})


if __name__ == "__main__":
    main()
