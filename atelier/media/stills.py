"""Public renditions of a still image: the long-side sizes served in `srcset`, plus a placeholder colour.

The choices here come from bench/media_pipeline (figures in bench/results/media_pipeline.json):
- JPEGs are decoded at the smallest DCT scale that still covers the largest rendition (`draft`),
  which makes 24 and 48 MP photos decode at a quarter of the pixels or less;
- each size is resized from the previous one (a cascade) with the Hamming filter and a
  `reducing_gap`, so large factors start with a cheap box reduction: half the time of Lanczos,
  and an SSIM of 0.997 against a Lanczos resize of the full decode;
- no full-size copies: orientation is applied in place and an sRGB image is not converted again;
- WebP encoding runs in a small thread pool while the next size is being resized (Pillow releases
  the GIL while it encodes); the largest rendition, whose encode dominated the naive pipeline,
  uses a faster WebP method at the same quality setting.
Renditions are encoded from pixels only: no EXIF, XMP or ICC is written, so GPS and camera serials
in the original never reach the public.
"""

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageOps

from atelier.media.crops import CropBox
from atelier.media.decoding import DecodedOriginal, loaded
from atelier.media.rendering import to_srgb

RENDITION_LONG_SIDES = (2560, 1280, 640, 320)
WEBP_QUALITY = 82
# libwebp "method" (0 fastest … 6 smallest). Above ~2 MP the encode cost grows faster than the
# saving in bytes: at 2560 px method 0 is 3× faster than 4 for 8% more bytes and the same SSIM.
_FAST_METHOD_ABOVE_PIXELS = 1_000_000
_FAST_METHOD = 0
_DEFAULT_METHOD = 4
# A thumbnail's or cover's WebP is only the fallback behind its AVIF (`<source type="image/avif">`),
# which every current browser takes: it is encoded at method 0 too. On the surge's pictures at 640 and
# 960 px that is 4x less encode time than method 4 (5.9 against 22.5 ms, 12.2 against 51.0 ms) for 6-8%
# more bytes and 0.003-0.004 less SSIM, paid only by browsers without AVIF.
_FALLBACK_METHOD = 0

# Large steps are the expensive ones: Hamming there costs half of Lanczos at the same SSIM against
# a Lanczos reference (bench). Small steps are cheap, and Lanczos keeps the small sizes as sharp as
# a direct resize (a Hamming cascade lost 0.03-0.04 SSIM at 320 px).
_LARGE_STEP_FILTER = Image.Resampling.HAMMING
_SMALL_STEP_FILTER = Image.Resampling.LANCZOS
_SMALL_STEP_BELOW = 1000

# Thumbnails and covers (the grid and feed pictures, where most bytes are served) also come as AVIF.
# At speed 10 and quality 60 it matches WebP q82's SSIM at 640 and 1280 px, 21-26% smaller and
# cheaper to encode than WebP at method 4; below 480 px quality 60 loses SSIM (0.94 at 320 px),
# so small sizes use 70. Full-size renditions stay WebP only: AVIF at 2560 px would add a second
# large encode to every upload, and an AVIF srcset without the large sizes would blur big screens.
AVIF_SPEED = 10


def _avif_quality(long_side: int) -> int:
    return 60 if long_side >= 480 else 70


_encoder_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webp-encode")


@dataclass(frozen=True)
class EncodedRendition:
    width: int
    height: int
    data: bytes  # WebP, which every browser shows
    avif: bytes | None = None  # the same pixels as AVIF (thumbnails and covers)

    @property
    def long_side(self) -> int:
        return max(self.width, self.height)


@dataclass(frozen=True)
class StillRenditions:
    width: int  # of the oriented original
    height: int
    colour: str  # dominant colour, "#rrggbb", shown while the image loads
    renditions: list[EncodedRendition]


def open_for_renditions(file, largest_long_side: int) -> Image.Image:
    """Decode oriented sRGB pixels, at reduced JPEG scale when the largest rendition allows it."""
    return _open_oriented(file, largest_long_side)[0]


_SIDEWAYS = {5, 6, 7, 8}


def _open_oriented(file, largest_long_side: int) -> tuple[Image.Image, tuple[int, int]]:
    """(oriented sRGB pixels, the original's displayed size) from one decode. The orientation is read
    after the pixels: a PNG's EXIF may follow its image data, so asking for it first made Pillow
    decode the whole PNG once for the size and again for the pixels (bench/media_pipeline)."""
    file.seek(0)
    image = Image.open(file)
    width, height = image.size
    if image.format == "JPEG":
        # draft() picks the smallest scale (1/2, 1/4, 1/8) that keeps both sides >= the request;
        # asking for a square box keeps the long side >= largest_long_side in either orientation.
        side = min(largest_long_side, max(width, height))
        image.draft("RGB", (side, side))
    image = loaded(image)
    if image.getexif().get(0x0112) in _SIDEWAYS:
        width, height = height, width
    ImageOps.exif_transpose(image, in_place=True)
    return to_srgb(image), (width, height)


def render_stills(
    file, long_sides=RENDITION_LONG_SIDES, *, quality: int = WEBP_QUALITY, xmp: bytes | None = None
) -> StillRenditions:
    """Every size in `long_sides` not larger than the original (the original's own size when it is
    smaller than all of them), encoded as WebP. `xmp` (the do-not-train and rights statement) is
    the only metadata written; everything of the original's is left behind."""
    # Only the cascade holds pixels, so the full decode is freed as soon as the first size exists.
    image, size = _open_oriented(file, max(long_sides))
    return _render_cascade(image, long_sides, quality, size, xmp)


def shares_decode(decoded: DecodedOriginal) -> bool:
    """Whether another step's decode of the original is what the renditions would decode: a full
    decode of a format with no reduce-on-load. A JPEG is decoded at the DCT scale of its largest
    rendition instead (a fraction of a full decode), so it is never taken from elsewhere."""
    return not decoded.reduced and decoded.format != "JPEG"


def render_decoded(
    decoded: DecodedOriginal, long_sides=RENDITION_LONG_SIDES, *, quality: int = WEBP_QUALITY, xmp: bytes | None = None
) -> StillRenditions:
    """`render_stills` from pixels decoded once for several steps (`shares_decode`). The decoded image
    is left as stored: orientation makes a new image, and the cascade only reads it."""
    image = oriented_srgb(decoded)
    return _render_cascade(image, long_sides, quality, image.size, xmp)


def oriented_srgb(decoded: DecodedOriginal) -> Image.Image:
    """What `open_for_renditions` gives, from a decode shared by several steps (`shares_decode`): the
    stored image is left untouched (orientation makes a new one; sRGB already, it is returned as is)."""
    image = decoded.image
    transpose = _ORIENTATION.get(image.getexif().get(0x0112))
    if transpose is not None:
        image = image.transpose(transpose)
    return to_srgb(image)


_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}  # fmt: skip


def render_stills_from_image(
    image: Image.Image, long_sides=RENDITION_LONG_SIDES, *, quality: int = WEBP_QUALITY, xmp: bytes | None = None
) -> StillRenditions:
    """The same sizes from pixels already decoded (a video poster, an animation's first frame)."""
    return _render_cascade(to_srgb(image), long_sides, quality, image.size, xmp)


def _render_cascade(
    image: Image.Image, long_sides, quality: int, original_size: tuple[int, int], xmp: bytes | None = None
) -> StillRenditions:
    width, height = original_size
    sizes = sorted({min(side, max(width, height)) for side in long_sides}, reverse=True)
    pending = []
    current = image
    del image
    for long_side in sizes:
        resample = _SMALL_STEP_FILTER if long_side < _SMALL_STEP_BELOW else _LARGE_STEP_FILTER
        current = _scale_long_side(current, long_side, resample)
        pending.append(_encoder_pool.submit(encode_webp_fast, current, quality, xmp=xmp))
    colour = dominant_colour(current)
    renditions = [future.result() for future in pending]
    return StillRenditions(width=width, height=height, colour=colour, renditions=renditions)


def render_crop_sizes(
    image: Image.Image, crop: CropBox, sizes: list[tuple[int, int]], *, xmp: bytes | None = None
) -> list[EncodedRendition]:
    """A cropped image (thumbnail or cover) at each box size, largest first, never upscaled."""
    cropped = image.crop(crop.to_pixels(image.width, image.height))
    pending = []
    current = cropped
    for box in sorted(sizes, reverse=True):
        if current.width > box[0] or current.height > box[1]:
            current = current.resize(_fit(current.size, box), Image.Resampling.LANCZOS, reducing_gap=3.0)
        elif pending:
            # The source was too small for this box as for the larger one: the same pixels, already
            # being encoded (a 960×640 crop made two 960 px covers, WebP and AVIF, and kept one).
            continue
        pending.append(_encoder_pool.submit(encode_webp_fast, current, WEBP_QUALITY, with_avif=True, xmp=xmp))
    return [future.result() for future in pending]


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size within `box` keeping the aspect ratio. A crop made to the box's ratio comes
    out a pixel off after rounding to whole pixels (1500×999 for 3:2); within 1% it gets the box's
    exact size, so covers are 1440×960 rather than 1440×959."""
    width, height = size
    if abs((width / height) / (box[0] / box[1]) - 1) < 0.01:
        return box
    scale = min(box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _scale_long_side(image: Image.Image, long_side: int, resample) -> Image.Image:
    if max(image.size) <= long_side:
        return image
    scale = long_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if image.width * image.height < _STRIP_RESIZE_ABOVE_PIXELS:
        return image.resize(size, resample, reducing_gap=3.0)
    return _resize_in_strips(image, size, resample)


# Pillow resizes in two passes through an intermediate image (target width × source height); for a
# 48 MP photo that buffer alone is larger than the result. Resizing horizontal strips of the output
# (each reading its rows of the source through `box`, kernel support included, so the seams are
# pixel-identical to a single resize) keeps that buffer small and lets two cores share the work.
_STRIP_RESIZE_ABOVE_PIXELS = 4_000_000
_STRIPS = 6
_resize_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="resize")


def _resize_in_strips(image: Image.Image, size: tuple[int, int], resample) -> Image.Image:
    width, height = size
    rows = [round(height * index / _STRIPS) for index in range(_STRIPS + 1)]
    scale_y = image.height / height

    def strip(index: int) -> Image.Image:
        top, bottom = rows[index], rows[index + 1]
        return image.resize((width, bottom - top), resample, box=(0, top * scale_y, image.width, bottom * scale_y))

    result = Image.new(image.mode, size)
    for index, part in enumerate(_resize_pool.map(strip, range(_STRIPS))):
        result.paste(part, (0, rows[index]))
    return result


def encode_webp_fast(
    image: Image.Image, quality: int = WEBP_QUALITY, *, with_avif: bool = False, xmp: bytes | None = None
) -> EncodedRendition:
    """WebP (and AVIF when asked) from pixels only: no EXIF or ICC of the source is written, and XMP
    only when `xmp` is given (our own statement, never the source's)."""
    if with_avif:
        method = _FALLBACK_METHOD
    else:
        method = _FAST_METHOD if image.width * image.height > _FAST_METHOD_ABOVE_PIXELS else _DEFAULT_METHOD
    metadata = {"xmp": xmp} if xmp else {}
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=quality, method=method, **metadata)
    avif = None
    if with_avif:
        avif_buffer = io.BytesIO()
        image.save(avif_buffer, format="AVIF", quality=_avif_quality(max(image.size)), speed=AVIF_SPEED, **metadata)
        avif = avif_buffer.getvalue()
    return EncodedRendition(width=image.width, height=image.height, data=buffer.getvalue(), avif=avif)


def dominant_colour(image: Image.Image) -> str:
    """The average colour of a small copy: a calm placeholder that matches the picture's tone."""
    tiny = image.convert("RGB").resize((1, 1), Image.Resampling.BOX)
    red, green, blue = tiny.getpixel((0, 0))
    return f"#{red:02x}{green:02x}{blue:02x}"
