"""Local features of a picture for the copies PDQ cannot follow: crops of 5–30 % and small rotations.

A keypoint is a corner found by ORB (OpenCV's FAST corners over an image pyramid, each with its scale
and its dominant orientation) and described by 256 binary intensity tests on a patch sized to its
scale and turned to its orientation. The descriptor is 256 bits, so it is stored as a `Fingerprint`
row like a PDQ hash, with its geometry (x, y, size, angle, in the prepared picture's pixels) in the
`kp_*` columns, and found through indexes on pairs of its 16-bit chunks (models.py). A crop or a turn
keeps most corners and their patches, so a copy shares descriptors with its original, and those
shared corners agree on one similarity transform (scale, turn, shift). verify.py requires that
agreement and then compares the two pictures through the transform, because corners alone are
generic: the corner of a chart's axes, the letters of one font are in many works.

Stored side: the strongest `STORED_KEYPOINTS` distinctive corners of the picture and as many of its
mirror as indexed rows (rows cost storage; query-side hashes cost lookup time), and the strongest
`VERIFY_KEYPOINTS` of the upright picture packed into one value beside the thumbnail (`packed`), never
indexed: the lookup only needs one shared probe to bring a work up as a candidate, and then compares
all of both pictures' corners with it (verify.py); beside them the `REPEATED_KEYPOINTS` strongest
corners left out as repeated, for the works made of little else (verify.matched_repeated).
Asking side: the strongest `QUERY_KEYPOINTS` of the upload probe the index, upright only, and up to
`QUERY_SPREAD_EXTRA` more from the parts of the picture they leave bare (`spread_extra`);
`VERIFY_KEYPOINTS` of it (and its repeated ones) are compared (with a mirror's indexed rows when the
probes found a work's mirror: only its upright corners are packed).

Measured (bench/theft.py): a 32-bit probe needs a quarter of the corner's tests unchanged, which
copies that crop, turn or shrink the picture break for most corners: 9 copies in 10 keep at least
one probe whole, a third keep nine. So the probes only bring works up, and the verification corners
decide. Pages of text and screenshots repeat the same letters, whose corners are left out as
repeated, so they keep few keypoints; charts (bars and axes: the same corner everywhere) keep almost
none, and their crops and turns are missed. A stamp of large letters takes many of the strongest
corners, so a stamped copy shares fewer with its original.
"""

from dataclasses import dataclass

import cv2
import faiss
import numpy as np
from PIL import Image

# A lookup's few hundred corners are too few to split between threads, and the processes are the
# parallelism (on two cores OpenMP's second thread doubled the CPU of `nearest_of` for 12 % off the wall clock).
faiss.omp_set_num_threads(1)

STORED_KEYPOINTS = 56
QUERY_KEYPOINTS = 40
# bench/theft.py on every third work: with the 56 indexed corners alone, crop recall of the keypoint
# step was 0.65; with 200 on both sides, 0.88 (rotate 0.90, border 0.89). 48 bytes each: 9.6 kB a work.
VERIFY_KEYPOINTS = 200
# Corners left out as repeated, kept beside the verification corners for `verify.matched_repeated`
# (charts, pages, interfaces). 48 bytes each: 4.8 kB more a work.
REPEATED_KEYPOINTS = 100
THUMBNAIL = 32  # the side of the grey thumbnail appearance.py compares through the transform
CANDIDATES = 2  # ORB is asked for this many times the keypoints wanted, before repeated ones go
REPEATED_BITS = 28
# The upload is looked at again at two more scales, each halfway (in log scale) between two of ORB's
# pyramid levels (√1.3 = 1.14): shrunk by it and enlarged by it. A crop of 5–30 % blown back up to the
# working size, or a turn's inner rectangle, shows the work 1.05–1.43 × larger than its original; a
# frame the trim left a line of shows it smaller; and a corner seen between two levels is described
# from a patch at the wrong scale on both sides (a crop's true correspondences came 30–55 bits apart,
# past look-alikes' 13–20, and ranked 3rd to 82nd). RESCALED_KEYPOINTS of the strongest corners at
# each scale probe the index beside QUERY_KEYPOINTS, and RESCALED_VERIFY_KEYPOINTS at each join the
# upload's own in verify.matched. bench/theft.py, every second work: crop recall 0.760 -> 0.858
# shrunk only, border 0.835 -> 0.883 with the enlarged scale too. Every third work, both scales, per
# scale 40 probes and 200 corners against 24 and 100: crop 0.870 / 0.858, border 0.887 / 0.879,
# rotate 0.883 / 0.900, lookup p50 43 / 35 ms: the smaller sets, within two copies of the larger.
RESCALES = (1.14, 1 / 1.14)
RESCALED_KEYPOINTS = 24  # at each of RESCALES
RESCALED_VERIFY_KEYPOINTS = 100  # at each of RESCALES
QUERY_SPREAD_EXTRA = 16  # probes added where the strongest leave the picture bare (`spread_extra`)
SPREAD_GRID = 4  # `spread_extra`: the picture in 4 × 4 cells,
SPREAD_SHARE = 8  # at most an eighth of the probes from one cell
GEOMETRY_SCALE = 8  # x, y and size are stored as eighths of a pixel in small integers

_ORB = {
    "scaleFactor": 1.3,  # 6 levels span 1 : 3.7, the resizes and crops of bench/theft.py
    "nlevels": 6,
    "edgeThreshold": 15,  # corners this close to the edge have no full patch
    "patchSize": 31,
    "fastThreshold": 10,
}


@dataclass(frozen=True)
class Keypoint:
    x: float
    y: float
    size: float
    angle: float  # degrees, as OpenCV gives them
    descriptor: bytes  # 32 bytes


def grey(picture: Image.Image) -> np.ndarray:
    return np.asarray(picture.convert("L"))


def detected(gray: np.ndarray, count: int) -> list[Keypoint]:
    """The `count` strongest distinctive ORB keypoints of a grey picture, strongest first (none on a
    flat one). A corner whose descriptor is within `REPEATED_BITS` of another corner elsewhere in
    the same picture (not the same corner at another scale) is left out with it: the corners of
    flat rectangles, the letters of a font repeat inside a work as they repeat across works, so they
    tell works apart badly and, being the same in so many rows, they would flood every lookup that
    probes them (bench/theft.py, lookup p95)."""
    return detected_both(gray, count, 0)[0]


def spread_extra(
    found: list[Keypoint], candidates: list[Keypoint], shape: tuple[int, ...], extra: int
) -> list[Keypoint]:
    """Up to `extra` of `candidates` (strongest first) for the cells of a SPREAD_GRID × SPREAD_GRID
    grid that `found` leaves thin: at most 1 / SPREAD_SHARE of all from one cell. A signature or a
    watermark stamped on flat or pixel art is the most contrasted thing in it, and by strength alone
    its letters took the upload's probes, none left on the work (bench/theft.py --diagnose: 53 of 143
    missed stamped copies shared no probe with their original). Added to the strongest, not instead:
    the stored side keeps the strongest, and probes chosen by place alone met them less often (every
    fourth work: crop recall 0.849 -> 0.799). With 16 extra (all works): stamp recall 0.800 -> 0.845,
    no kind lower; 38 -> 50 probes a lookup cost +2.1 ms p50 / +3.6 ms p95, paired on one database.
    The strongest come from their own ORB pass, as the stored side's do, so the two sets stay alike."""
    rows, cols = shape[:2]
    cap = -(-(len(found) + extra) // SPREAD_SHARE)

    def cell(one: Keypoint) -> tuple[int, int]:
        return min(int(one.y * SPREAD_GRID / rows), SPREAD_GRID - 1), min(
            int(one.x * SPREAD_GRID / cols), SPREAD_GRID - 1
        )

    per_cell: dict[tuple[int, int], int] = {}
    for one in found:
        per_cell[cell(one)] = per_cell.get(cell(one), 0) + 1
    have = {one.descriptor for one in found}
    added = []
    for one in candidates:
        if len(added) == extra:
            break
        at = cell(one)
        if per_cell.get(at, 0) < cap and one.descriptor not in have:
            per_cell[at] = per_cell.get(at, 0) + 1
            have.add(one.descriptor)
            added.append(one)
    return added


def detected_both(gray: np.ndarray, count: int, repeated: int) -> tuple[list[Keypoint], list[Keypoint]]:
    """(the `count` strongest distinctive keypoints, the `repeated` strongest of those left out as
    repeated), from one ORB pass. The repeated ones are never probed; they are what a chart (the
    same bar corner everywhere) or a page of text (the same letters) is made of, and verify.py's
    `matched_repeated` fits a transform to them when the distinctive corners are too few."""
    if min(gray.shape) <= 2 * _ORB["edgeThreshold"]:
        return [], []
    orb = cv2.ORB_create(nfeatures=count * CANDIDATES, **_ORB)  # one pass: the distinctive set as ever
    found, descriptors = orb.detectAndCompute(np.ascontiguousarray(gray), None)
    if descriptors is None:
        return [], []
    words = descriptors.view(np.uint64)
    bits = bits_apart(words, words)
    at = np.array([p.pt for p in found])
    across, down = at[:, None, 0] - at[None, :, 0], at[:, None, 1] - at[None, :, 1]
    sizes = np.array([p.size for p in found])
    reach = np.maximum(sizes[:, None], sizes[None, :]) / 2
    bits[across * across + down * down < reach * reach] = 256  # one corner seen at two scales
    distinctive = bits.min(axis=1) > REPEATED_BITS
    ranked = sorted(zip(found, descriptors, distinctive, strict=True), key=lambda one: -one[0].response)
    kept = [_keypoint(p, d) for p, d, keep in ranked if keep][:count]
    left_out = [_keypoint(p, d) for p, d, keep in ranked if not keep][:repeated]
    return kept, left_out


def bits_apart(rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """(rows, columns) Hamming distances between 256-bit values held as four 64-bit words each,
    one word at a time: the (rows, columns, 4) XOR made at once cost 6.8 ms for 400 × 400 corners
    against 0.8 ms this way (the same counts; the temporary no longer outgrows the CPU's caches)."""
    bits = np.bitwise_count(rows[:, None, 0] ^ columns[None, :, 0]).astype(np.int32)
    for word in range(1, rows.shape[1]):
        bits += np.bitwise_count(rows[:, None, word] ^ columns[None, :, word])
    return bits


def nearest_of(asked: np.ndarray, stored: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each `asked` descriptor (rows of 32 bytes), its `k` nearest `stored` ones by Hamming
    distance, nearest first and ties to the first stored row: (bits, stored row), each (asked, k).
    faiss's exhaustive binary index (popcount on whole words): 0.13 ms for 400 × 200 corners at
    k = 2 against 0.37 ms in OpenCV's batchDistance, the same answers (ties included)."""
    index = faiss.IndexBinaryFlat(256)
    index.add(np.ascontiguousarray(stored, dtype=np.uint8))
    return index.search(np.ascontiguousarray(asked, dtype=np.uint8), k)


def rescaled(gray: np.ndarray, count: int, scale: float) -> list[Keypoint]:
    """The `count` strongest distinctive keypoints of `gray` resized by 1 / `scale` (one of
    RESCALES), given in `gray`'s own pixels."""
    rows, cols = gray.shape[:2]
    resized = Image.fromarray(gray).resize((round(cols / scale), round(rows / scale)), Image.Resampling.BILINEAR)
    kept, _ = detected_both(np.asarray(resized), count, 0)
    return [
        Keypoint(x=p.x * scale, y=p.y * scale, size=p.size * scale, angle=p.angle, descriptor=p.descriptor)
        for p in kept
    ]


def _keypoint(point, descriptor) -> Keypoint:
    return Keypoint(x=point.pt[0], y=point.pt[1], size=point.size, angle=point.angle, descriptor=descriptor.tobytes())


def packed(found: list[Keypoint]) -> bytes:
    """Keypoints as one value: per corner x, y, size, angle (float32) and its 32-byte descriptor."""
    if not found:
        return b""
    geometry = np.array([(p.x, p.y, p.size, p.angle) for p in found], dtype="<f4")
    descriptors = np.frombuffer(b"".join(p.descriptor for p in found), dtype=np.uint8).reshape(-1, 32)
    return np.concatenate([geometry.view(np.uint8), descriptors], axis=1).tobytes()


def unpacked(value: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(geometry (n, 4) float64, descriptors (n, 32) uint8) of a `packed` value."""
    if not value:
        return np.zeros((0, 4)), np.zeros((0, 32), dtype=np.uint8)
    rows = np.frombuffer(value, dtype=np.uint8).reshape(-1, 48)
    geometry = np.ascontiguousarray(rows[:, :16]).view("<f4").astype(np.float64)
    return geometry, np.ascontiguousarray(rows[:, 16:])


def thumbnail(gray: np.ndarray) -> bytes:
    """The picture as THUMBNAIL × THUMBNAIL grey levels (its aspect is kept apart, in width and height)."""
    small = Image.fromarray(gray).resize((THUMBNAIL, THUMBNAIL), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.uint8).tobytes()
