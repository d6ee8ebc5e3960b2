"""A PNG's image data inflated by ISA-L and handed back to Pillow to unfilter.

Pillow's PNG decoder inflates with the host's zlib: its manylinux wheels leave libz.so.1 to the
system, Debian's 1.2.13 here, and on a 12-MP photo that inflate is nearly all of the decode (209 of
211 ms CPU; bench/results/detection_eval.json, "png_decode"). ISA-L (PyPI `isal`, wheels with the
library inside) inflates the same stream in 75 ms. Pillow has no way in for inflated PNG rows, so
they go back to it as stored (uncompressed) deflate blocks in place of the IDAT chunks: its zlib
then only copies them and checks their checksum, and Pillow unfilters the rows, reads the chunks
around them and sets mode and info exactly as before: same pixels, bit for bit. A 12-MP decode
costs about 145 ms of CPU instead of 211.

Only a plain PNG takes this path: not interlaced, not animated, its image data in one run of IDAT
chunks inflating to at least the size its header implies, and no more than MAX_RAW_BYTES of it (the
rows are held in memory while Pillow reads them). Anything else, including every damaged file, gets
None and is decoded by Pillow alone, which reports the damage as it always did.
"""

import io
import struct

from isal import isal_zlib
from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A 32-MP RGB or 24-MP RGBA image. The inflated rows are held whole, briefly twice (ISA-L's pieces,
# then the rebuilt file), where Pillow alone streams them in 64 KB pieces: a 12-MP photo's decode
# peaks 57 MB higher (103 MB of RSS against 46). Larger images stream through Pillow as before.
MAX_RAW_BYTES = 96 * 1024 * 1024
STORED_BLOCK = 65535  # the largest stored deflate block
ZLIB_HEADER = b"\x78\x01"  # deflate, 32 KB window, no preset dictionary; (0x78 << 8 | 0x01) % 31 == 0
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type: grey, RGB, palette, grey+alpha, RGBA


def _raw_size(header: bytes) -> int | None:
    """Bytes of filtered rows a non-interlaced image with this IHDR body inflates to, or None."""
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if interlace or colour not in CHANNELS or depth not in (1, 2, 4, 8, 16) or not width or not height:
        return None
    return height * (1 + (width * CHANNELS[colour] * depth + 7) // 8)


def _idat_run(data: memoryview) -> tuple[int, int, list[memoryview]] | None:
    """(offset of the first IDAT chunk, offset after the last, their bodies) when the image data is
    one run of IDAT chunks in a file of whole chunks and no animation control; else None."""
    position, first, last, bodies = len(SIGNATURE), None, None, []
    while position + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 12 + length
        if end > len(data) or kind == b"acTL":
            return None
        if kind == b"IDAT":
            if last is not None:
                return None  # image data split around another chunk
            first = position if first is None else first
            bodies.append(data[position + 8 : position + 8 + length])
        elif first is not None and last is None:
            last = position
        if kind == b"IEND":
            break
        position = end
    return (first, last, bodies) if first is not None and last is not None else None


def _inflated(bodies: list[memoryview], size: int) -> list[bytes] | None:
    """The first `size` inflated bytes, in pieces, or None if the stream is damaged or short.
    Anything past `size` is left alone, as Pillow stops reading after the last row."""
    inflater, pieces, wanted = isal_zlib.decompressobj(), [], size
    try:
        for body in bodies:
            piece = inflater.decompress(body, wanted)
            pieces.append(piece)
            wanted -= len(piece)
            if not wanted:
                break
    except isal_zlib.error:
        return None
    return pieces if not wanted else None


def _stored_stream(pieces: list[bytes]) -> list[bytes | memoryview]:
    """A zlib stream of stored blocks carrying `pieces` as they are."""
    parts: list[bytes | memoryview] = [ZLIB_HEADER]
    checksum = 1
    for piece in pieces:
        view = memoryview(piece)
        for start in range(0, len(view), STORED_BLOCK):
            block = view[start : start + STORED_BLOCK]
            parts += [struct.pack("<BHH", 0, len(block), len(block) ^ 0xFFFF), block]
        checksum = isal_zlib.adler32(piece, checksum)
    parts += [struct.pack("<BHH", 1, 0, 0xFFFF), struct.pack(">I", checksum)]  # an empty final block
    return parts


def reopened(image: Image.Image) -> Image.Image | None:
    """The opened, not yet loaded, PNG `image` decoded through ISA-L: a new loaded image equal to
    what `image.load()` would give, or None when the file does not take this path."""
    if image.format != "PNG" or getattr(image, "is_animated", False) or image.fp is None:
        return None
    image.fp.seek(0)  # Image.open reads a file from its start
    data = memoryview(image.fp.read(MAX_RAW_BYTES + 1))
    if len(data) > MAX_RAW_BYTES or data[:8] != SIGNATURE or data[12:16] != b"IHDR":
        return None
    size = _raw_size(bytes(data[16:29]))
    run = _idat_run(data) if size is not None and size <= MAX_RAW_BYTES else None
    pieces = _inflated(run[2], size) if run else None
    if pieces is None:
        return None
    first, last, _ = run
    stream = _stored_stream(pieces)
    del pieces
    crc = isal_zlib.crc32(b"IDAT")
    for part in stream:
        crc = isal_zlib.crc32(part, crc)
    length = sum(len(part) for part in stream)
    rebuilt = b"".join([data[:first], struct.pack(">I", length), b"IDAT", *stream, struct.pack(">I", crc), data[last:]])
    del stream, data
    decoded = Image.open(io.BytesIO(rebuilt))
    try:
        decoded.load()
    except BaseException:
        decoded.close()
        raise
    return decoded
