"""Perceptual fingerprints of an image: PDQ hashes (Meta's open perceptual hash, via `pdqhash`) of
the picture and of windows of it, so the copies an art thief makes still land near the original.

Why several hashes: one PDQ hash of the whole picture survives re-encoding, resizing, colour shifts
and a small stamp, but not a mirror, a crop or a frame around the work. So

- the stored side (`stored_hashes`) keeps the whole picture and five windows of it (the centre and the
  four corners at 80 % of each side): a crop close to one of them lands near it;
- the asking side (`query_hashes`) hashes the upload and its mirror, each whole and at its centre
  80 %: a mirrored copy lands near the original's whole-picture hash;
- both sides trim a frame first (`prepared`), so a margin or a title bar around a copy goes (only
  the margin where that trim would leave too flat a picture: `FRAME_SHARE`), and both add a second
  whole-picture hash trimmed until no flat line is left (`trimmed_to_the_end`): a screenshot of a
  work on its own white page has two frames, the window's and the page's.

PDQ moves past the match distance once a picture is shifted or rescaled by 3–4 % (a 4 % crop of one
side already costs 35–60 bits of 256), so crops of 5–30 % from any sides and ±5° rotations are out of
its reach: windows would have to tile every position and scale at that step (hundreds of hashes per
work). Those copies are found by local features instead (keypoints.py): both sides also carry ORB
keypoint descriptors of the same prepared picture (`KEYPOINT` rows, the stored side with its mirror),
and the stored side a grey thumbnail and a larger set of its corners, packed, so a keypoint match can
be verified (verify.py).
Flat pictures (PDQ quality under `MIN_QUALITY`: a solid colour, a two-tone flag) carry too little
detail to tell works apart and are never hashed.
"""

from dataclasses import dataclass

import numpy as np
import pdqhash
from PIL import Image, ImageOps

from atelier.protection.theft import keypoints

WORKING_LONG_SIDE = 512  # PDQ reduces to 64×64 itself; more pixels only cost time
MIN_SIDE = 32  # smaller than this is an icon, not a work
MIN_QUALITY = 50  # PDQ's own guidance: below 50 the hash is not reliable
TRIM_GRID = 128  # the frame is looked for on a picture this size
MAX_TRIM = 0.3  # of each side, at most, taken as a frame in one pass
TRIM_PASSES = 4  # further trims for the second whole-picture hash (`trimmed_to_the_end`)
# Of the picture's area, the least the trim to the end may leave. On a sparse chart it cut down to one
# bar (3-8 % of the picture), and two charts' single bars are one PDQ hash: 0-4 bits apart, where
# PDQ alone decides (bench/theft.py: chart-6's crop matched chart-29 so; 22 of 729 works ended
# under 10 %, 15 of them charts).
MIN_TRIMMED_SHARE = 0.1
EDGE_LINES = 0  # lines past the flat run also cut (1 over-trims resized copies)
FLAT_SHARE = 0.7  # a line this much one grey is a frame line
# A picture the frame trim leaves too flat to hash is trimmed again from the start taking only lines
# this flat, a margin or a mat: at FLAT_SHARE a sparse interface or chart (a line of text on a page
# is 70 % one grey) lost up to MAX_TRIM of every side, down to an empty middle, and went unprotected
# (13 of bench/theft.py's 733 works; their copies are now found, stamped ones 3 of 13), and a crop
# whose own middle was emptied so went unfound (8 more crops of the 716 other works found). Taking
# only such lines for every picture found more copies still, but with the axes and labels kept, 7 of
# 60 sparse charts then matched another chart: see the note on issue 21.
FRAME_SHARE = 0.98
FLAT_TOLERANCE = 12

# Windows: (share of each side, left, top), left and top as a share of the room left over (0 at
# the left or top edge, 0.5 centred, 1 at the right or bottom edge). The code stored with a hash is
# its index here; MIRRORED is added for the mirror image.
WINDOWS = (
    (1.0, 0.5, 0.5),  # WHOLE
    (0.8, 0.5, 0.5),  # CENTRE
    (0.8, 0.0, 0.0), (0.8, 1.0, 0.0), (0.8, 0.0, 1.0), (0.8, 1.0, 1.0),  # the four corners
)  # fmt: skip
WHOLE, CENTRE = 0, 1
TRIMMED_WHOLE = len(WINDOWS)  # the whole picture once no flat line is left at its edges
STORED = tuple(range(len(WINDOWS)))
QUERIED = (WHOLE, CENTRE)
MIRRORED = 64  # added to a code for the mirror image
KEYPOINT = 32  # the code of an ORB keypoint's descriptor (KEYPOINT + MIRRORED: of the mirror image)
KEYPOINT_QUALITY = 100  # ORB has no quality score comparable to PDQ's; kept so the column stays one


Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Hash:
    window: int
    value: bytes  # 32 bytes, 256 bits
    quality: int
    corner: tuple[float, float, float, float] | None = None  # keypoint rows: x, y, size, angle
    # PDQ hashes: the window hashed, (left, top, right, bottom) in the prepared picture, or in its
    # mirror for a MIRRORED code; index.py compares the upload with the stored work through it.
    box: Box | None = None


@dataclass(frozen=True)
class Stored:
    """What the index keeps for a work: its hashes, and the thumbnail keypoint matches are checked
    against (None with no hashes)."""

    hashes: list[Hash]
    thumbnail: bytes | None = None
    size: tuple[int, int] = (0, 0)  # of the prepared picture the keypoints are in
    corners: bytes = b""  # keypoints.packed: the upright picture's VERIFY_KEYPOINTS corners
    repeated: bytes = b""  # keypoints.packed: its REPEATED_KEYPOINTS corners left out as repeated
    trimmed_box: Box | None = None  # the window of its TRIMMED_WHOLE hash (None: it has none)


@dataclass(frozen=True)
class Query:
    """What an upload is looked up with: its hashes and its prepared picture in grey levels."""

    hashes: list[Hash]
    gray: np.ndarray | None = None
    corners: bytes = b""  # keypoints.packed: VERIFY_KEYPOINTS corners of `gray`, compared in verify.py
    repeated: bytes = b""  # keypoints.packed: REPEATED_KEYPOINTS corners of `gray` left out as repeated
    # keypoints.packed: RESCALED_VERIFY_KEYPOINTS corners of `gray` at each of keypoints.RESCALES, in `gray`'s
    # pixels; verify.matched compares them beside `corners`
    rescaled: bytes = b""


def prepared(image: Image.Image, share: float = FLAT_SHARE) -> Image.Image | None:
    """The picture as PDQ should see it: upright (EXIF orientation), RGB over white where it had
    transparency, a frame of lines `share` one grey trimmed once, at most WORKING_LONG_SIDE. None
    when too small."""
    return _framed_out(_untrimmed(image), share)


def _untrimmed(image: Image.Image) -> Image.Image:
    """The upload upright, in RGB over white, at most twice WORKING_LONG_SIDE: what every trim starts from."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(flat, rgba)
    image = image.convert("RGB")
    image.thumbnail((WORKING_LONG_SIDE * 2, WORKING_LONG_SIDE * 2), Image.Resampling.BILINEAR)
    return image


def _framed_out(untrimmed: Image.Image, share: float) -> Image.Image | None:
    """`prepared` from `_untrimmed`'s picture, which stays as it was (`_seen` may trim it twice)."""
    box = _trim_box(untrimmed, share)
    image = untrimmed.copy() if box is None else untrimmed.crop(box)
    if min(image.size) < MIN_SIDE:
        return None
    image.thumbnail((WORKING_LONG_SIDE, WORKING_LONG_SIDE), Image.Resampling.LANCZOS)
    return image


def trimmed_to_the_end(picture: Image.Image) -> Box | None:
    """The window of `picture` left once it is trimmed again until no flat line is left at its edges
    (None when that changes nothing). A screenshot's frame and the work's own white page are two
    frames: the first trim takes the frame, this one the page, and the original, trimmed the same
    way, meets it there. Kept as a second whole-picture hash, not instead of the first: the further
    passes cut into flat-edged content and move with resizing noise (bench/theft.py, resize recall).
    None too when it would leave under MIN_TRIMMED_SHARE of the picture."""
    image, left, top = picture, 0, 0
    for _ in range(TRIM_PASSES):
        box = _trim_box(image, FLAT_SHARE)
        if box is None or box == (0, 0, *image.size) or min(box[2] - box[0], box[3] - box[1]) < MIN_SIDE:
            break
        image, left, top = image.crop(box), left + box[0], top + box[1]
    if image.size == picture.size or image.width * image.height < MIN_TRIMMED_SHARE * picture.width * picture.height:
        return None
    return (left, top, left + image.width, top + image.height)


def _trim_box(image: Image.Image, share: float) -> Box | None:
    """The window left once a frame is cut away (None: no frame): a screenshot's margin and title
    bar, a mat. From each side, lines where `share` of the pixels are one colour (give or take JPEG
    noise; each line its own colour, so a grey margin and the work's own white background go
    together) are cut, up to MAX_TRIM of the side. The original is trimmed the same way, so a work
    whose own background is flat at an edge is still compared like for like."""
    grid = TRIM_GRID
    small = np.asarray(image.convert("L").resize((grid, grid), Image.Resampling.BILINEAR)).astype(np.int16)
    rows = np.abs(small - np.median(small, axis=1, keepdims=True)) <= FLAT_TOLERANCE
    cols = np.abs(small - np.median(small, axis=0, keepdims=True)) <= FLAT_TOLERANCE
    flat_rows, flat_cols = rows.mean(axis=1) >= share, cols.mean(axis=0) >= share
    limit = int(grid * MAX_TRIM)
    top, bottom = _run(flat_rows, limit), _run(flat_rows[::-1], limit)
    left, right = _run(flat_cols, limit), _run(flat_cols[::-1], limit)
    if top + bottom + left + right == 0:
        return None
    scale_x, scale_y = image.width / grid, image.height / grid
    return (
        round(left * scale_x), round(top * scale_y), round((grid - right) * scale_x), round((grid - bottom) * scale_y),
    )  # fmt: skip


def _run(flat: np.ndarray, limit: int) -> int:
    """How many lines from the start are flat, at most `limit`; a line blurred across the frame's
    edge (the first one that is not flat right after flat ones) goes with them."""
    count = 0
    while count < limit and flat[count]:
        count += 1
    return count + EDGE_LINES if 0 < count < limit else count


def _pdq(image: Image.Image) -> tuple[bytes, int]:
    bits, quality = pdqhash.compute(np.asarray(image))
    return np.packbits(bits.astype(np.uint8)).tobytes(), int(quality)


def window_box(size: tuple[int, int], code: int) -> Box:
    """Where window `code` (WINDOWS, without MIRRORED) lies in a picture of `size`."""
    share, left_at, top_at = WINDOWS[code % MIRRORED]
    width, height = size
    w, h = round(width * share), round(height * share)
    left, top = round((width - w) * left_at), round((height - h) * top_at)
    return (left, top, left + w, top + h)


def stored_window_box(size: tuple[int, int], window: int, trimmed_box: Box | None) -> Box | None:
    """Where a stored PDQ hash's window lies in the work's prepared picture of `size`: the fixed
    windows from WINDOWS, the trimmed whole from `trimmed_box` (`Stored.trimmed_box`; None when it
    was not kept)."""
    return trimmed_box if window % MIRRORED == TRIMMED_WHOLE else window_box(size, window)


def _hashes(image: Image.Image, codes: tuple[int, ...], offset: int = 0) -> list[Hash]:
    found = []
    for code in codes:
        box = window_box(image.size, code)
        value, quality = _pdq(image if box == (0, 0, *image.size) else image.crop(box))
        if quality >= MIN_QUALITY:
            found.append(Hash(window=code + offset, value=value, quality=quality, box=box))
    return found


@dataclass(frozen=True)
class _Seen:
    """The prepared picture and what the stored and the asking side both read off it: computed once
    when an upload is both stored and looked up (`stored_and_query`)."""

    picture: Image.Image
    upright: list[Hash]  # PDQ of the QUERIED windows (whole, centre) of the picture itself
    trimmed: list[Hash]  # its TRIMMED_WHOLE hash, when it has one
    gray: np.ndarray
    distinctive: list[keypoints.Keypoint]  # VERIFY_KEYPOINTS corners
    repeated: list[keypoints.Keypoint]  # REPEATED_KEYPOINTS corners left out as repeated


def _seen(image: Image.Image) -> _Seen | None:
    """The picture trimmed of its frame, or of its margin only where the frame trim left it too flat
    to hash (FRAME_SHARE); both sides of the index see a picture so."""
    untrimmed = _untrimmed(image)
    picture = _framed_out(untrimmed, FLAT_SHARE)
    upright = _hashes(picture, QUERIED) if picture is not None else []
    if not any(one.window == WHOLE for one in upright):
        margin_only = _framed_out(untrimmed, FRAME_SHARE)
        if margin_only is not None:
            picture, upright = margin_only, _hashes(margin_only, QUERIED)
    if picture is None:
        return None
    gray = keypoints.grey(picture)
    distinctive, repeated = keypoints.detected_both(gray, keypoints.VERIFY_KEYPOINTS, keypoints.REPEATED_KEYPOINTS)
    return _Seen(picture, upright, _trimmed_whole(picture), gray, distinctive, repeated)


def stored(image: Image.Image) -> Stored:
    """What the index keeps for a work (no hashes: too small or too flat to tell apart)."""
    return _stored_from(_seen(image))


def query(image: Image.Image) -> Query:
    """What an upload (or an image search) is looked up with: PDQ of the upload and its mirror, and
    the upload's own keypoints (the stored side holds the mirror's)."""
    return _query_from(_seen(image))


def stored_and_query(image: Image.Image) -> tuple[Stored, Query]:
    """`stored(image), query(image)`, equal to those, from one preparation: an upload is both kept and
    looked up, and the two sides share its picture, three PDQ hashes and its keypoints."""
    seen = _seen(image)
    return _stored_from(seen), _query_from(seen)


def _stored_from(seen: _Seen | None) -> Stored:
    whole = [one for one in seen.upright if one.window == WHOLE] if seen else []
    if not whole:
        return Stored(hashes=[])
    picture, gray = seen.picture, seen.gray
    windows = [one for one in seen.upright if one.window != WHOLE]
    windows += _hashes(picture, tuple(code for code in STORED if code not in QUERIED))
    corners = _corners(gray, keypoints.STORED_KEYPOINTS)
    corners += _corners(np.ascontiguousarray(gray[:, ::-1]), keypoints.STORED_KEYPOINTS, offset=MIRRORED)
    return Stored(
        hashes=whole + windows + seen.trimmed + corners,
        trimmed_box=seen.trimmed[0].box if seen.trimmed else None,
        thumbnail=keypoints.thumbnail(gray),
        size=picture.size,
        corners=keypoints.packed(seen.distinctive),
        repeated=keypoints.packed(seen.repeated),
    )


def _query_from(seen: _Seen | None) -> Query:
    if seen is None:
        return Query(hashes=[])
    mirror = ImageOps.mirror(seen.picture)
    found = seen.upright + _hashes(mirror, QUERIED, offset=MIRRORED)
    found += seen.trimmed + _trimmed_whole(mirror, offset=MIRRORED)
    rescaled_probes, rescaled_corners = [], []
    for scale in keypoints.RESCALES:
        rescaled_probes += keypoints.rescaled(seen.gray, keypoints.RESCALED_KEYPOINTS, scale)
        rescaled_corners += keypoints.rescaled(seen.gray, keypoints.RESCALED_VERIFY_KEYPOINTS, scale)
    return Query(
        hashes=found + _probes(seen.gray, seen.distinctive, rescaled_probes),
        gray=seen.gray,
        corners=keypoints.packed(seen.distinctive),
        repeated=keypoints.packed(seen.repeated),
        rescaled=keypoints.packed(rescaled_corners),
    )


def stored_hashes(image: Image.Image) -> list[Hash]:
    return stored(image).hashes


def query_hashes(image: Image.Image) -> list[Hash]:
    return query(image).hashes


def _probes(gray: np.ndarray, distinctive: list[keypoints.Keypoint], rescaled: list[keypoints.Keypoint]) -> list[Hash]:
    """An upload's keypoint probes: its strongest corners, as the stored side keeps them, more from
    its verification corners (`distinctive`) where those leave the picture bare (keypoints.spread_extra),
    and the strongest of the picture at keypoints.RESCALES (`rescaled`) not already among them.
    Each set from its own ORB pass, as the stored side's strongest come from theirs."""
    strongest = keypoints.detected(gray, keypoints.QUERY_KEYPOINTS)
    found = strongest + keypoints.spread_extra(strongest, distinctive, gray.shape, keypoints.QUERY_SPREAD_EXTRA)
    have = {one.descriptor for one in found}
    for one in rescaled:
        if one.descriptor not in have:
            have.add(one.descriptor)
            found.append(one)
    return _as_hashes(found)


def _corners(gray: np.ndarray, count: int, offset: int = 0) -> list[Hash]:
    return _as_hashes(keypoints.detected(gray, count), offset)


def _as_hashes(found: list[keypoints.Keypoint], offset: int = 0) -> list[Hash]:
    return [
        Hash(
            window=KEYPOINT + offset,
            value=one.descriptor,
            quality=KEYPOINT_QUALITY,
            corner=(one.x, one.y, one.size, one.angle),
        )
        for one in found
    ]


def _trimmed_whole(picture: Image.Image, offset: int = 0) -> list[Hash]:
    box = trimmed_to_the_end(picture)
    if box is None:
        return []
    value, quality = _pdq(picture.crop(box))
    if quality < MIN_QUALITY:
        return []
    return [Hash(window=TRIMMED_WHOLE + offset, value=value, quality=quality, box=box)]


def distance(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()
