"""Whether a PDQ match is the work it says, not a look-alike at PDQ's level of detail.

A PDQ hash is the signs of a 16×16 block of a 64×64 picture's frequencies, so two distinct works
with one layout can land within MATCH_DISTANCE: in bench/theft.py two renders of striped floors seen
head-on (20 and 34 bits), a bar chart and a flat poster (36 bits) and two bar charts (46 and 48
bits) are the pairs of distinct works among 716 within 56 bits. Their pixels do not agree: the
upload, laid on the stored work as the two matched windows say (verify.window_transform),
correlates with its thumbnail at 0.79, 0.80, 0.17 and 0.26 (the last pair's windows overlap too little).

So a match beyond TRUSTED_BITS stands only when the pixels agree (PDQ_MIN_NCC) through the windows,
or through the transform the two works' corners agree on (verify.matched): a trimmed frame or a
tint can shift the windows a few pixels, and copies that correlate at 0.58–0.9 through the windows
correlate at 0.98–1.0 through their corners. The threshold sits in the gap between the distinct
pairs (0.80 at most) and the 3,365 copies that are not stamped that PDQ found in bench/theft.py's
corpus (the better of the two transforms; bench/theft_pdq_pixels.py: p1 0.955 or more per kind,
one framed copy of 426 below 0.85).

Within TRUSTED_BITS PDQ is taken at its word: no two distinct works came within 20 bits, while a
stamp on a page or a screenshot leaves PDQ within 4 bits and drags the correlation down to
0.6–0.85 (the stamp is most of what differs on a white page). A picture crafted to collide that
closely is held for a moderator, as every match is, never removed.
"""

import numpy as np

from atelier.protection.theft import appearance, keypoints, verify
from atelier.protection.theft.fingerprints import MIRRORED, Hash, stored_window_box
from atelier.protection.theft.thumbnails import CORNERS, HEIGHT, PIXELS, TRIMMED, WIDTH, thumbnails_of

TRUSTED_BITS = 10  # of 256: nearer than this, PDQ alone decides
PDQ_MIN_NCC = 0.85


def confirmed(rows, pdq: list[Hash], close: list[tuple[int, int, int]], gray: np.ndarray, corners: bytes) -> set:
    """Of the PDQ matches `close` ((row, query hash, bits), closest first), the (row, query hash) of
    the first that stands for each item. `rows` are the candidate rows (index.py: id, item_id, …,
    window), `pdq` the upload's PDQ hashes, `gray` its prepared picture, `corners` its verification
    corners (keypoints.packed; at every scale, as index.nearest joins them). A work without a
    thumbnail, or hashed before its trimmed window was kept (until `theft_backfill`), is taken on
    PDQ's word."""
    thumbnails = thumbnails_of({rows[r][1] for r, _, bits in close if bits > TRUSTED_BITS})
    summed = appearance.summed_area(gray)  # the upload's, for every comparison of this lookup
    upload = None
    standing, decided, cornered = set(), set(), set()
    for r, q, bits in close:
        item_id = rows[r][1]
        if item_id in decided:
            continue
        thumbnail = thumbnails.get(item_id)
        box = None
        if thumbnail:
            trimmed = thumbnail[TRIMMED : TRIMMED + 4]
            size = (thumbnail[WIDTH], thumbnail[HEIGHT])
            box = stored_window_box(size, rows[r][5], None if None in trimmed else tuple(trimmed))
        agree = bits <= TRUSTED_BITS or box is None
        if not agree:
            mirrored = gray.shape[1] if pdq[q].window >= MIRRORED else None
            through = verify.window_transform(pdq[q].box, box, mirrored)
            agree = _alike(gray, thumbnail, through, summed)
        if not agree and item_id not in cornered and thumbnail[CORNERS] and corners:
            cornered.add(item_id)  # once per item: the corners do not depend on the window
            upload = keypoints.unpacked(corners) if upload is None else upload
            through = verify.matched(upload, keypoints.unpacked(bytes(thumbnail[CORNERS])), size)
            agree = through is not None and _alike(gray, thumbnail, through, summed)
        if agree:
            standing.add((r, q))
            decided.add(item_id)
    return standing


def _alike(gray, thumbnail, through: verify.Transform, summed) -> bool:
    size = (thumbnail[WIDTH], thumbnail[HEIGHT])
    return appearance.looks_alike(gray, bytes(thumbnail[PIXELS]), size, through, summed, min_ncc=PDQ_MIN_NCC)
