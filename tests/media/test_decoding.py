"""One bounded decode of an original, shared by the renditions and the detector: hostile headers are
refused before any pixel is decoded, and renditions from a shared decode are those of their own decode."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from atelier.media import decoding, stills
from tests.media.sample_files import QUADRANT_COLOURS, close_to, encode, quadrant_bytes, quadrant_image

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)

ORIENTATION = 0x0112
NOISE_PNG = encode(Image.fromarray(np.random.default_rng(0).integers(0, 256, (400, 600, 3), dtype=np.uint8)), "PNG")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A 60-byte PNG whose header claims width × height pixels: a decompression bomb's shape."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_bomb_header_is_refused_before_any_pixel_is_decoded(decodes):
    with pytest.raises(decoding.DecodeRefused, match="decompression bomb refused: 12000×12000 px"):
        decoding.decode_original(io.BytesIO(png_claiming(12_000, 12_000)))
    assert decodes == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_limit_is_the_sites_own_and_far_over_it_pillow_refuses_as_a_decoder_error(monkeypatch, decodes):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    with pytest.raises(decoding.DecodeRefused, match="over 10000 px"):
        decoding.decode_original(io.BytesIO(encode(Image.new("RGB", (101, 100)), "PNG")))
    with pytest.raises(decoding.DECODER_ERRORS):  # Pillow's DecompressionBombError, past twice the limit
        decoding.decode_original(io.BytesIO(png_claiming(1000, 1000)))
    assert decodes == []


@pytest.mark.parametrize(
    "data",
    [
        NOISE_PNG[: len(NOISE_PNG) // 2],  # cut short inside the image data
        png_claiming(300, 300),  # less image data than the header promises
        b"\x89PNG\r\n\x1a\n" + b"\xff" * 40,
        b"",
    ],
)
def test_broken_files_raise_a_decoder_error(data):
    with pytest.raises(decoding.DECODER_ERRORS):
        decoding.decode_original(io.BytesIO(data))


def test_a_large_jpeg_is_decoded_at_the_smallest_dct_scale_covering_the_box():
    data = quadrant_bytes("JPEG", (2000, 1600), quality=90)
    with decoding.decode_original(io.BytesIO(data), jpeg_box=(600, 600)) as decoded:
        assert (decoded.image.size, decoded.scale, decoded.full_size) == ((1000, 800), 2, (2000, 1600))
        assert decoded.reduced and not stills.shares_decode(decoded)
    with decoding.decode_original(io.BytesIO(data), jpeg_box=lambda image: None) as decoded:
        assert (decoded.image.size, decoded.reduced) == ((2000, 1600), False)


def test_a_cmyk_jpeg_decodes_and_keeps_its_own_mode():
    data = encode(quadrant_image((1600, 1200)).convert("CMYK"), "JPEG", quality=92)
    with decoding.decode_original(io.BytesIO(data), jpeg_box=(400, 400)) as decoded:
        assert decoded.image.mode == "CMYK" and decoded.scale == 2


def _same_renditions(data: bytes) -> tuple[stills.StillRenditions, stills.StillRenditions, Image.Image]:
    alone = stills.render_stills(io.BytesIO(data))
    decoded = decoding.decode_original(io.BytesIO(data))
    before = decoded.image.copy()
    shared = stills.render_decoded(decoded)
    return alone, shared, before, decoded


@pytest.mark.parametrize(
    "image",
    [
        quadrant_image((1400, 1000)),
        quadrant_image((900, 700)).quantize(colors=8),  # palette; transparency set below
        Image.fromarray(np.full((700, 900), 20000, dtype=np.uint16)),  # 16-bit grey
        quadrant_image((900, 700)).convert("RGBA"),
    ],
    ids=["rgb", "palette-transparency", "16-bit", "rgba"],
)
def test_renditions_from_a_shared_decode_are_those_of_their_own_decode_and_leave_it_untouched(image):
    options = {"transparency": image.getpixel((0, 0))} if image.mode == "P" else {}
    alone, shared, before, decoded = _same_renditions(encode(image, "PNG", **options))
    assert stills.shares_decode(decoded)
    assert (shared.width, shared.height, shared.colour) == (alone.width, alone.height, alone.colour)
    assert [rendition.data for rendition in shared.renditions] == [rendition.data for rendition in alone.renditions]
    assert decoded.image.mode == before.mode and np.array_equal(np.asarray(decoded.image), np.asarray(before))


def test_exif_orientation_turns_the_renditions_and_not_the_shared_decode():
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # stored sideways: shown turned 90° clockwise
    data = encode(quadrant_image((800, 600)), "PNG", exif=exif)
    alone, shared, before, decoded = _same_renditions(data)
    assert (shared.width, shared.height) == (alone.width, alone.height) == (600, 800)
    assert decoded.image.size == (800, 600) and np.array_equal(np.asarray(decoded.image), np.asarray(before))
    shown = Image.open(io.BytesIO(shared.renditions[0].data))
    assert close_to(shown.getpixel((5, 5)), QUADRANT_COLOURS["bottom-left"])


def test_workers_keep_decode_blocks_for_the_next_image():
    kept = Image.core.get_blocks_max()
    try:
        decoding.keep_decode_buffers(3)
        assert Image.core.get_blocks_max() == 3
    finally:
        Image.core.set_blocks_max(kept)
