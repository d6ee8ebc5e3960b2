"""`inspect_image`: an upload is judged by its bytes, before anything keeps it or decodes it in full."""

import time

import pillow_heif
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from atelier.media.validation import ImageFacts, inspect_image
from tests.media.sample_files import (
    PDF_DOCUMENT,
    SVG_WITH_SCRIPT,
    encode,
    png_claiming,
    quadrant_bytes,
    quadrant_image,
    truncated_jpeg,
    upload,
)

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 50_000_000}


def _refusal(file, **limits) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        inspect_image(file, **{**LIMITS, **limits})
    return caught.value


def _heic_bytes() -> bytes:
    pillow_heif.register_heif_opener()
    return encode(quadrant_image((640, 480)), "HEIF")


@pytest.mark.parametrize(
    ("make", "name", "expected_format"),
    [
        (lambda: quadrant_bytes("JPEG", (640, 480)), "photo.jpg", "JPEG"),
        (lambda: quadrant_bytes("PNG", (640, 480)), "drawing.png", "PNG"),
        (lambda: quadrant_bytes("WEBP", (640, 480)), "export.webp", "WEBP"),
        (lambda: quadrant_bytes("GIF", (640, 480)), "sketch.gif", "GIF"),
        (lambda: quadrant_bytes("AVIF", (640, 480)), "render.avif", "AVIF"),
        (_heic_bytes, "IMG_0001.HEIC", "HEIF"),
    ],
    ids=["jpeg", "png", "webp", "gif", "avif", "heic"],
)
def test_accepts_every_supported_format(make, name, expected_format):
    file = upload(name, make())

    facts = inspect_image(file, **LIMITS)

    assert facts == ImageFacts(format=expected_format, width=640, height=480)
    assert file.tell() == 0, "the file is rewound for whoever stores it next"


def test_the_format_comes_from_the_bytes_not_the_name():
    png_named_jpeg = upload("holiday.jpg", quadrant_bytes("PNG", (300, 200)), "image/jpeg")

    assert inspect_image(png_named_jpeg, **LIMITS).format == "PNG"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.png", b"These are my notes, not a picture.\n" * 20),
        ("logo.svg", SVG_WITH_SCRIPT),
        ("logo.png", SVG_WITH_SCRIPT),
        ("portfolio.pdf", PDF_DOCUMENT),
        ("portfolio.jpg", PDF_DOCUMENT),
        ("random.webp", bytes(range(256)) * 8),
    ],
    ids=["text-as-png", "svg", "svg-as-png", "pdf", "pdf-as-jpg", "noise-as-webp"],
)
def test_refuses_files_that_are_not_images_whatever_their_name(name, data):
    error = _refusal(upload(name, data, "image/png"))

    assert error.code == "not_an_image"
    assert "not an image we can read" in error.messages[0]
    assert "JPEG, PNG, WebP, GIF, AVIF, HEIC" in error.messages[0]


@pytest.mark.parametrize(("fmt", "label"), [("TIFF", "TIFF"), ("BMP", "BMP"), ("ICO", "ICO")])
def test_refuses_real_images_in_formats_we_do_not_serve(fmt, label):
    error = _refusal(upload("scan.png", quadrant_bytes(fmt, (200, 200))))

    assert error.code == "unsupported_format"
    assert error.messages[0].startswith(f"{label} images are not supported.")


@pytest.mark.parametrize(
    "data",
    [
        truncated_jpeg(),
        quadrant_bytes("JPEG", quality=90)[:-2],  # only the end-of-image marker missing
        quadrant_bytes("PNG")[:400],
    ],
    ids=["jpeg-two-thirds", "jpeg-without-eoi", "png-cut-short"],
)
def test_refuses_truncated_images_with_a_clear_message(data):
    error = _refusal(upload("photo.jpg", data))

    assert error.code == "corrupt"
    assert error.messages == ["This image file is damaged or incomplete; try exporting it again."]


def test_refuses_a_jpeg_whose_scan_data_is_garbage():
    data = quadrant_bytes("JPEG")
    start_of_scan = data.index(b"\xff\xda")
    garbage = bytes((index * 73 + 41) % 256 for index in range(4000))

    error = _refusal(upload("photo.jpg", data[: start_of_scan + 20] + garbage))

    assert error.code == "corrupt"


def test_refuses_a_decompression_bomb_from_its_header_without_decoding():
    bomb = png_claiming(30_000, 30_000)
    assert len(bomb) < 200, "900 megapixels claimed by a file of a few bytes"

    started = time.perf_counter()
    error = _refusal(upload("huge.png", bomb))
    elapsed = time.perf_counter() - started

    # Decoding 900 MP (2.7 GB of RGB) would take seconds and gigabytes; reading the header takes microseconds.
    assert elapsed < 0.5
    assert error.code == "too_many_pixels"
    assert "too many pixels" in error.messages[0]
    assert "50 megapixels" in error.messages[0]


def test_refuses_an_image_over_our_own_pixel_limit_naming_its_size():
    error = _refusal(upload("big.png", png_claiming(8000, 8000)))

    assert error.code == "too_many_pixels"
    assert error.messages == ["This image is 8000×8000 pixels; the limit is 50 megapixels."]


def test_a_lower_pixel_limit_is_honoured():
    error = _refusal(upload("photo.png", quadrant_bytes("PNG", (3000, 2000))), max_pixels=5_000_000)

    assert error.code == "too_many_pixels"
    assert "3000×2000" in error.messages[0]


def test_refuses_a_file_over_the_byte_limit_before_reading_it():
    # Not even an image: the size check comes first, so the person learns the real problem.
    error = _refusal(upload("huge.png", b"\x00" * 5000), max_bytes=4096)

    assert error.code == "too_big"
    assert error.messages == ["This file is 4.9\xa0KB; the limit is 4.0\xa0KB."]


def test_a_file_exactly_at_the_byte_limit_is_accepted():
    data = quadrant_bytes("PNG", (64, 64))

    assert inspect_image(upload("small.png", data), max_bytes=len(data), max_pixels=10_000).width == 64


def test_refuses_an_empty_file():
    error = _refusal(ContentFile(b"", name="empty.png"))

    assert error.code == "empty"
    assert error.messages == ["This file is empty."]
