"""Perceptual fingerprints of an image: PDQ hashes (Meta's open perceptual hash, via `pdqhash`) of
the picture and of windows of it, so the copies an art thief makes still land near the original.

Why several hashes: one PDQ hash of the whole picture survives re-encoding, resizing, colour shifts
and a small stamp, but not a mirror, a crop or a frame around the work. So

- the stored side (`stored_hashes`) keeps the whole picture and five windows of it (the centre and the
  four corners at 80 % of each side): a crop close to one of them lands near it;
- the asking side (`query_hashes`) hashes the upload and its mirror, each whole, with uniform
  borders trimmed, and at its centre 80 %: a mirrored copy, or one inside a screenshot-style frame,
  lands near the original's whole-picture hash.
- both sides trim a frame first (`_trimmed`), so a margin or a title bar around a copy goes.

bench/theft.py measures what each kind of copy needs: re-encodes, resizes, mirrors and colour
shifts are caught; PDQ moves too far under crops past a few percent, ±5° rotations, large stamps and
framed screenshots, which the windows and the frame trim rescue only in part (see its results).
Flat pictures (PDQ quality under `MIN_QUALITY`: a solid colour, a two-tone flag) carry too little
detail to tell works apart and are never hashed.
"""

from dataclasses import dataclass

import numpy as np
import pdqhash
from PIL import Image, ImageOps

WORKING_LONG_SIDE = 512  # PDQ reduces to 64×64 itself; more pixels only cost time
MIN_SIDE = 32  # smaller than this is an icon, not a work
MIN_QUALITY = 50  # PDQ's own guidance: below 50 the hash is not reliable
WINDOW = 0.8
MAX_TRIM = 0.3  # of each side, at most, taken as a frame
FLAT_SHARE = 0.7  # a line this much one grey is a frame line
FLAT_TOLERANCE = 12

# Window codes, stored with each hash: what part of the picture it covers.
WHOLE, CENTRE, TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT = range(6)
MIRRORED = 8  # added to a code for the mirror image


@dataclass(frozen=True)
class Hash:
    window: int
    value: bytes  # 32 bytes, 256 bits
    quality: int


def prepared(image: Image.Image) -> Image.Image | None:
    """The picture as PDQ should see it: upright (EXIF orientation), RGB over white where it had
    transparency, borders of one flat colour trimmed, at most WORKING_LONG_SIDE. None when too small."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(flat, rgba)
    image = image.convert("RGB")
    image.thumbnail((WORKING_LONG_SIDE * 2, WORKING_LONG_SIDE * 2), Image.Resampling.BILINEAR)
    image = _trimmed(image)
    if min(image.size) < MIN_SIDE:
        return None
    image.thumbnail((WORKING_LONG_SIDE, WORKING_LONG_SIDE), Image.Resampling.LANCZOS)
    return image


def _trimmed(image: Image.Image) -> Image.Image:
    """Cut away a frame: a screenshot's margin and title bar, a mat. From each side, lines where most
    pixels are one colour (give or take JPEG noise) go, up to MAX_TRIM of the side. The original is
    trimmed the same way, so a work whose own background is flat at an edge is still compared like
    for like."""
    small = np.asarray(image.convert("L").resize((128, 128), Image.Resampling.BILINEAR)).astype(np.int16)
    rows = np.abs(small - np.median(small, axis=1, keepdims=True)) <= FLAT_TOLERANCE
    cols = np.abs(small - np.median(small, axis=0, keepdims=True)) <= FLAT_TOLERANCE
    flat_rows, flat_cols = rows.mean(axis=1) >= FLAT_SHARE, cols.mean(axis=0) >= FLAT_SHARE
    limit = int(128 * MAX_TRIM)
    top, bottom = _run(flat_rows, limit), _run(flat_rows[::-1], limit)
    left, right = _run(flat_cols, limit), _run(flat_cols[::-1], limit)
    if top + bottom + left + right == 0:
        return image
    scale_x, scale_y = image.width / 128, image.height / 128
    box = (round(left * scale_x), round(top * scale_y), round((128 - right) * scale_x), round((128 - bottom) * scale_y))
    return image.crop(box)


def _run(flat: np.ndarray, limit: int) -> int:
    """How many lines from the start are flat, at most `limit`."""
    count = 0
    while count < limit and flat[count]:
        count += 1
    return count


def _pdq(image: Image.Image) -> tuple[bytes, int]:
    bits, quality = pdqhash.compute(np.asarray(image))
    return np.packbits(bits.astype(np.uint8)).tobytes(), int(quality)


def _window(image: Image.Image, code: int) -> Image.Image:
    width, height = image.size
    w, h = round(width * WINDOW), round(height * WINDOW)
    left = {CENTRE: (width - w) // 2, TOP_LEFT: 0, BOTTOM_LEFT: 0}.get(code, width - w)
    top = {CENTRE: (height - h) // 2, TOP_LEFT: 0, TOP_RIGHT: 0}.get(code, height - h)
    return image.crop((left, top, left + w, top + h))


def _hashes(image: Image.Image, codes: tuple[int, ...], offset: int = 0) -> list[Hash]:
    found = []
    for code in codes:
        value, quality = _pdq(image if code == WHOLE else _window(image, code))
        if quality >= MIN_QUALITY:
            found.append(Hash(window=code + offset, value=value, quality=quality))
    return found


def stored_hashes(image: Image.Image) -> list[Hash]:
    """What the index keeps for a work (empty: too small or too flat to tell apart)."""
    picture = prepared(image)
    if picture is None:
        return []
    whole = _hashes(picture, (WHOLE,))
    if not whole:
        return []
    return whole + _hashes(picture, (CENTRE, TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT))


def query_hashes(image: Image.Image) -> list[Hash]:
    """What an upload (or an image search) is looked up with."""
    picture = prepared(image)
    if picture is None:
        return []
    mirror = ImageOps.mirror(picture)
    return _hashes(picture, (WHOLE, CENTRE)) + _hashes(mirror, (WHOLE, CENTRE), offset=MIRRORED)


def distance(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()
