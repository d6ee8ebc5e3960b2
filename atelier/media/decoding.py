"""Decoding uploaded images: what a decoder may raise on hostile bytes, and one bounded decode shared
by every reader of an original in the same task.

Pillow and its plugins, pillow-heif and PyAV each fail in their own way on a file they cannot read:
Pillow's DDS reader raises NotImplementedError for a pixel format it lacks, its TIFF reader
OverflowError or TypeError for absurd tags, libheif EOFError, the AVIF plugin RuntimeError, a
struct unpack struct.error, FFmpeg its own error classes. To the person uploading, all of them mean
one thing: we can't read this file. Every place that hands uploaded bytes to a decoder catches
DECODER_ERRORS and turns them into its own clear refusal (a ValidationError, so a 4xx), never a 500.
"""

import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import av
from PIL import Image

from atelier.media import png_inflate

DECODER_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # includes PIL.UnidentifiedImageError
    ValueError,
    SyntaxError,
    EOFError,
    struct.error,
    RuntimeError,  # includes NotImplementedError and RecursionError
    MemoryError,
    OverflowError,
    ZeroDivisionError,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    Image.DecompressionBombError,
    zipfile.BadZipFile,
    av.FFmpegError,
)


class DecodeRefused(ValueError):
    """The header claims more pixels than the site accepts: refused before any pixel is decoded."""


@dataclass
class DecodedOriginal:
    """An original's first frame, decoded once and left untouched, for every reader in one task.

    The renditions and the AI detector both read the original's pixels; a 12-MP PNG costs about 145 ms
    of CPU to decode on this project's hosts with ISA-L inflating it (png_inflate; 210 ms with Pillow's
    own zlib), twice that when each decodes its own. When both
    run in one task, one `DecodedOriginal` is handed to each. Nobody mutates `image`: orientation and
    colour conversion make new images (stills.render_decoded), and detection reads the stored grid
    (its marks live there, not in the oriented picture). `scale` > 1 means JPEG DCT scaling decoded
    it at 1/scale of its stored size (`full_size`), which neither the watermark nor the stealth
    reader can use.
    """

    image: Image.Image
    format: str
    full_size: tuple[int, int]
    scale: int = 1

    @property
    def reduced(self) -> bool:
        return self.scale > 1

    def close(self) -> None:
        self.image.close()

    def __enter__(self) -> "DecodedOriginal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def refuse_oversized(image: Image.Image, limit: int | None = None) -> None:
    """Raise DecodeRefused when the header's size is over `limit` (default: Image.MAX_IMAGE_PIXELS,
    the site's own limit, set from the POST_/PROFILE_IMAGE_MAX_PIXELS settings)."""
    limit = Image.MAX_IMAGE_PIXELS if limit is None else limit
    width, height = image.size
    if limit and width * height > limit:
        raise DecodeRefused(f"decompression bomb refused: {width}×{height} px is over {limit} px")


JpegBox = tuple[int, int] | Callable[[Image.Image], tuple[int, int] | None] | None


def decode_original(source, *, jpeg_box: JpegBox = None) -> DecodedOriginal:
    """Decode the first frame of `source` (a path or a binary file) once, bounded.

    The size is checked from the header before any pixel is decoded (a decompression bomb costs a
    header read). `jpeg_box`: a JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) whose size
    still covers the box (`Image.draft`), most of a large photo's decode saved; other formats have
    no reduce-on-load and are decoded in full. It may be a function of the opened, not yet decoded,
    JPEG (its size, its chroma subsampling) returning the box or None for a full decode.
    Raises DecodeRefused or one of DECODER_ERRORS.
    """
    image = Image.open(source)
    try:
        refuse_oversized(image)
        full_size = image.size
        box = jpeg_box(image) if callable(jpeg_box) and image.format == "JPEG" else jpeg_box
        if box is not None and image.format == "JPEG":
            image.draft("RGB", box)
        image = loaded(image)
    except BaseException:
        image.close()
        raise
    scale = max(1, round(full_size[0] / image.size[0]))
    return DecodedOriginal(image=image, format=image.format or "", full_size=full_size, scale=scale)


def loaded(image: Image.Image) -> Image.Image:
    """The opened `image` with its pixels decoded: itself, or for a plain PNG an equal image whose
    data ISA-L inflated (png_inflate, a third of the decode saved), `image` then closed."""
    faster = png_inflate.reopened(image)
    if faster is None:
        image.load()
        return image
    image.close()
    return faster


# Pillow allocates a decoded image in 16 MB blocks and, by default, gives every block back to the
# system when the image is freed; the next image's pages are then faulted in (and zeroed) afresh.
# On the 2-core hosts this project targets that was 30 ms of a 12-MP PNG decode and 40 ms of a
# full-size 12-MP JPEG decode (bench/detection_eval, "decode_buffers"). A worker that decodes
# image after image keeps a few blocks for the next one instead.
WORKER_DECODE_BLOCKS = 8  # 128 MB: one 12-MP RGB decode (48 MB) and its first rendition


def keep_decode_buffers(blocks: int = WORKER_DECODE_BLOCKS) -> None:
    """Let this process keep up to `blocks` of Pillow's image blocks for reuse (worker start-up)."""
    Image.core.set_blocks_max(blocks)
