"""PNGs inflated by ISA-L and unfiltered by Pillow (media.png_inflate): the same image as Pillow's own
decode, bit for bit, for every kind of PNG that takes the path; every other file, damaged or odd,
falls back to Pillow alone and fails or decodes exactly as it did before."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from atelier.media import decoding, png_inflate, stills
from tests.media.sample_files import encode, quadrant_image

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)

SIGNATURE = b"\x89PNG\r\n\x1a\n"
NOISE = np.random.default_rng(1).integers(0, 256, (300, 420, 3), dtype=np.uint8)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    found, position = [], 8
    while position < len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        found.append((kind, data[position + 8 : position + 8 + length]))
        position += 12 + length
    return found


def png_of(found: list[tuple[bytes, bytes]]) -> bytes:
    return SIGNATURE + b"".join(chunk(kind, body) for kind, body in found)


def pillow_alone(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def through_isal(data: bytes) -> Image.Image | None:
    with Image.open(io.BytesIO(data)) as opened:
        return png_inflate.reopened(opened)


def assert_same_image(fast: Image.Image, plain: Image.Image) -> None:
    assert (fast.mode, fast.size, fast.format) == (plain.mode, plain.size, plain.format)
    assert fast.tobytes() == plain.tobytes()
    assert fast.info == plain.info
    if plain.mode == "P":
        assert fast.getpalette() == plain.getpalette()


def with_text_after_the_image(data: bytes) -> bytes:
    found = chunks(data)
    return png_of([*found[:-1], (b"tEXt", b"Comment\x00written after the pixels"), found[-1]])


def rgb16_png(pixels: np.ndarray) -> bytes:
    """A 16-bit RGB PNG, written by hand (Pillow cannot write one): filter byte 0 on every row."""
    height, width, _ = pixels.shape
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return png_of([(b"IHDR", header), (b"IDAT", zlib.compress(rows)), (b"IEND", b"")])


CASES = {
    "rgb-noise": lambda: encode(Image.fromarray(NOISE), "PNG"),
    "rgb-many-idat-chunks": lambda: encode(Image.fromarray(np.tile(NOISE, (4, 4, 1))), "PNG", compress_level=1),
    "rgba": lambda: encode(Image.fromarray(NOISE).convert("RGBA"), "PNG"),
    "grey": lambda: encode(Image.fromarray(NOISE[:, :, 0]), "PNG"),
    "grey-alpha": lambda: encode(Image.fromarray(NOISE).convert("LA"), "PNG"),
    "one-bit": lambda: encode(Image.fromarray(NOISE[:, :, 0] > 127), "PNG"),
    "palette-transparency": lambda: encode(quadrant_image((333, 211)).quantize(colors=5), "PNG", transparency=2),
    "sixteen-bit-grey": lambda: encode(Image.fromarray(NOISE[:, :, 0].astype(np.uint16) * 257), "PNG"),
    "sixteen-bit-rgb": lambda: rgb16_png(NOISE[:40, :50].astype(np.uint16) * 257),
    "icc-exif-text-after": lambda: with_text_after_the_image(
        encode(Image.fromarray(NOISE), "PNG", icc_profile=b"not really a profile", exif=Image.Exif())
    ),
    "one-pixel": lambda: encode(Image.new("RGB", (1, 1), (1, 2, 3)), "PNG"),
}


@pytest.mark.parametrize("name", CASES)
def test_every_kind_of_plain_png_decodes_to_pillows_own_image(name):
    data = CASES[name]()
    fast = through_isal(data)
    assert fast is not None, "a plain PNG takes the ISA-L path"
    assert_same_image(fast, pillow_alone(data))


def test_the_shared_decode_and_the_renditions_use_it():
    data = encode(Image.fromarray(NOISE), "PNG")
    with decoding.decode_original(io.BytesIO(data)) as decoded:
        assert decoded.image.format == "PNG" and decoded.image.tobytes() == pillow_alone(data).tobytes()
    alone = stills.render_stills(io.BytesIO(data))
    assert alone.width == 420 and alone.renditions


def interlaced_png() -> bytes:
    """A 1×1 Adam7 PNG: its only pass is one pixel."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 1)
    return png_of([(b"IHDR", header), (b"IDAT", zlib.compress(b"\x00\x0a\x14\x1e")), (b"IEND", b"")])


def animated_png() -> bytes:
    frames = [Image.new("RGB", (64, 48), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def split_image_data() -> bytes:
    """Image data in two IDAT runs with a text chunk between them: not a PNG the path reads."""
    found = chunks(encode(Image.fromarray(np.tile(NOISE, (4, 4, 1))), "PNG", compress_level=1))
    idats = [index for index, (kind, _) in enumerate(found) if kind == b"IDAT"]
    assert len(idats) > 2
    return png_of([*found[: idats[1]], (b"tEXt", b"Comment\x00between"), *found[idats[1] :]])


@pytest.mark.parametrize(
    "make", [interlaced_png, animated_png, split_image_data], ids=["interlaced", "animated", "split-image-data"]
)
def test_pngs_off_the_path_are_left_to_pillow_and_decode_as_before(make):
    data = make()
    assert through_isal(data) is None
    assert outcome_of_the_shared_decode(data) == outcome_of_pillow_alone(data)


def outcome_of_pillow_alone(data: bytes) -> bytes | type:
    try:
        return pillow_alone(data).tobytes()
    except decoding.DECODER_ERRORS as error:
        return type(error)


def outcome_of_the_shared_decode(data: bytes) -> bytes | type:
    try:
        with decoding.decode_original(io.BytesIO(data)) as decoded:
            return decoded.image.tobytes()
    except decoding.DECODER_ERRORS as error:
        return type(error)


def corrupt_stream() -> bytes:
    found = chunks(encode(Image.fromarray(NOISE), "PNG"))
    kind, body = found[1]
    assert kind == b"IDAT"
    return png_of([found[0], (kind, body[:2] + b"\xff" * 64 + body[66:]), *found[2:]])


def short_stream() -> bytes:
    """Well-formed chunks whose image data inflates to half the rows the header promises."""
    rows = b"".join(b"\x00" + row.tobytes() for row in NOISE[:150])
    header = struct.pack(">IIBBBBB", 420, 300, 8, 2, 0, 0, 0)
    return png_of([(b"IHDR", header), (b"IDAT", zlib.compress(rows)), (b"IEND", b"")])


def bad_filter_bytes() -> bytes:
    rows = b"".join(b"\x09" + row.tobytes() for row in NOISE)  # filter types stop at 4
    header = struct.pack(">IIBBBBB", 420, 300, 8, 2, 0, 0, 0)
    return png_of([(b"IHDR", header), (b"IDAT", zlib.compress(rows)), (b"IEND", b"")])


def impossible_header() -> bytes:
    data = encode(Image.fromarray(NOISE), "PNG")
    found = chunks(data)
    return png_of([(b"IHDR", found[0][1][:8] + b"\x08\x05" + found[0][1][10:]), *found[1:]])  # colour type 5


NOISE_PNG = encode(Image.fromarray(NOISE), "PNG")
BROKEN = {
    "cut-inside-the-image-data": lambda: NOISE_PNG[: len(NOISE_PNG) // 2],
    "cut-before-iend": lambda: NOISE_PNG[:-12],
    "corrupt-deflate-stream": corrupt_stream,
    "stream-shorter-than-the-header": short_stream,
    "unknown-filter-type": bad_filter_bytes,
    "impossible-colour-type": impossible_header,
}


@pytest.mark.parametrize("name", BROKEN)
def test_damaged_pngs_fail_as_they_did_without_the_path(name):
    data = BROKEN[name]()
    assert outcome_of_the_shared_decode(data) == outcome_of_pillow_alone(data)
    if name.startswith("cut"):  # half a file never reaches ISA-L
        with Image.open(io.BytesIO(data)) as opened:
            assert png_inflate.reopened(opened) is None


def test_image_data_that_inflates_past_the_last_row_is_read_as_pillow_reads_it():
    rows = b"".join(b"\x00" + row.tobytes() for row in NOISE)
    header = struct.pack(">IIBBBBB", 420, 300, 8, 2, 0, 0, 0)
    # Ten times the promised rows: a small file that would inflate far past its header.
    data = png_of([(b"IHDR", header), (b"IDAT", zlib.compress(rows * 10, 9)), (b"IEND", b"")])
    fast = through_isal(data)
    assert fast is not None and np.array_equal(np.asarray(fast), NOISE)
    assert_same_image(fast, pillow_alone(data))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_bomb_header_is_refused_before_isal_inflates_anything(decodes):
    header = struct.pack(">IIBBBBB", 12_000, 12_000, 8, 2, 0, 0, 0)
    data = png_of([(b"IHDR", header), (b"IDAT", zlib.compress(b"\x00" * 64)), (b"IEND", b"")])
    with pytest.raises(decoding.DecodeRefused):
        decoding.decode_original(io.BytesIO(data))
    assert decodes == []


def test_images_past_the_memory_bound_stream_through_pillow(monkeypatch):
    data = encode(Image.fromarray(NOISE), "PNG")
    monkeypatch.setattr(png_inflate, "MAX_RAW_BYTES", 300 * (1 + 420 * 3) - 1)
    assert through_isal(data) is None
    with decoding.decode_original(io.BytesIO(data)) as decoded:
        assert np.array_equal(np.asarray(decoded.image), NOISE)


def test_the_rebuilt_image_data_chunk_carries_correct_checksums(monkeypatch):
    rebuilt: list[bytes] = []
    real_open = Image.open

    def keep(fp, *args, **kwargs):  # a spy on Pillow's open, to read the bytes handed to it
        if isinstance(fp, io.BytesIO):
            rebuilt.append(fp.getvalue())
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", keep)
    data = encode(Image.fromarray(NOISE), "PNG")
    with real_open(io.BytesIO(data)) as opened:
        assert png_inflate.reopened(opened) is not None
    found, position = [], 8
    while position < len(rebuilt[-1]):
        length, kind = struct.unpack_from(">I4s", rebuilt[-1], position)
        body = rebuilt[-1][position + 8 : position + 8 + length]
        assert struct.unpack_from(">I", rebuilt[-1], position + 8 + length)[0] == zlib.crc32(kind + body)
        found.append((kind, body))
        position += 12 + length
    assert [kind for kind, _ in found] == [b"IHDR", b"IDAT", b"IEND"]
    original = b"".join(body for kind, body in chunks(data) if kind == b"IDAT")
    assert zlib.decompress(found[1][1]) == zlib.decompress(original)  # zlib checks the stream's Adler-32
