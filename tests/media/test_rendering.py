"""From a private original to public renditions: orientation, colour, crop, size and stripped metadata.

Pixel checks read back the WebP files the worker actually wrote.
"""

import io
import struct

import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageCms

from atelier.accounts.models import ProfileImageKind
from atelier.media.crops import CropBox, centred_crop
from atelier.media.rendering import encode_webp, fit_within, open_oriented, render_crop, to_srgb
from atelier.media.storages import originals_storage
from tests.media.sample_files import (
    QUADRANT_COLOURS,
    close_to,
    encode,
    open_public,
    quadrant_bytes,
    quadrant_image,
    read_original_bytes,
    read_public_bytes,
    store_profile_image,
)

AVATAR = ProfileImageKind.AVATAR
BANNER = ProfileImageKind.BANNER
ORIENTATION = 0x0112


def _exif_with_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif


def _revealing_exif() -> Image.Exif:
    """Camera make, model, serial number and a GPS position: what a phone photo gives away."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"  # Make
    exif[0x0110] = "Model X-9000"  # Model
    exif[0x0131] = "SecretEditor 1.0"  # Software
    exif.get_ifd(0x8769)[0xA431] = "SERIAL-0042-PRIVATE"  # Exif IFD: BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 29.0)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.0)
    return exif


def _primaries_swapped_profile() -> bytes:
    """An RGB ICC profile that is sRGB with the red and blue colorants exchanged.

    Pixels stored as pure red in an image tagged with it *mean* pure blue, so a correct
    conversion to sRGB turns them blue, and an ignored profile leaves them red.
    """
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack_from(">I", profile, 128)
    entries = {}
    for index in range(count):
        signature, offset, size = struct.unpack_from(">4sII", profile, 132 + 12 * index)
        entries[signature] = (index, offset, size)
    red_index, red_offset, red_size = entries[b"rXYZ"]
    blue_index, blue_offset, blue_size = entries[b"bXYZ"]
    struct.pack_into(">4sII", profile, 132 + 12 * red_index, b"rXYZ", blue_offset, blue_size)
    struct.pack_into(">4sII", profile, 132 + 12 * blue_index, b"bXYZ", red_offset, red_size)
    return bytes(profile)


def _all_renditions(image) -> list[str]:
    return list(image.renditions["sizes"].values())


# --- Orientation ---------------------------------------------------------------------------------


def test_open_oriented_applies_exif_orientation_6():
    # Stored landscape 1200x800; orientation 6 means "rotate 90° clockwise to display".
    data = quadrant_bytes("JPEG", (1200, 800), quality=95, exif=_exif_with_orientation(6))

    picture = open_oriented(io.BytesIO(data))

    assert picture.size == (800, 1200)
    # The stored top-left quadrant is shown top-right, stored bottom-left is shown top-left.
    assert close_to(picture.getpixel((600, 300)), QUADRANT_COLOURS["top-left"])
    assert close_to(picture.getpixel((200, 300)), QUADRANT_COLOURS["bottom-left"])
    assert close_to(picture.getpixel((200, 900)), QUADRANT_COLOURS["bottom-right"])
    assert close_to(picture.getpixel((600, 900)), QUADRANT_COLOURS["top-right"])


def test_rotated_photo_is_stored_with_displayed_size_and_rendered_upright(
    make_user, django_capture_on_commit_callbacks
):
    data = quadrant_bytes("JPEG", (1200, 800), quality=95, exif=_exif_with_orientation(6))

    image = store_profile_image(make_user().profile, AVATAR, data, capture=django_capture_on_commit_callbacks)

    assert (image.original_width, image.original_height) == (800, 1200)
    # Centred square of the upright 800x1200 picture: rows 200..1000, so the top quarter is stored top-left/
    # bottom-left colours and the bottom quarter is stored top-right/bottom-right.
    assert image.crop == pytest.approx({"x": 0.0, "y": 1 / 6, "width": 1.0, "height": 2 / 3})
    largest = open_public(image.renditions["sizes"]["512"])
    assert largest.size == (512, 512)
    assert close_to(largest.getpixel((128, 100)), QUADRANT_COLOURS["bottom-left"])
    assert close_to(largest.getpixel((384, 100)), QUADRANT_COLOURS["top-left"])
    assert close_to(largest.getpixel((128, 420)), QUADRANT_COLOURS["bottom-right"])
    assert close_to(largest.getpixel((384, 420)), QUADRANT_COLOURS["top-right"])


# --- Metadata ------------------------------------------------------------------------------------


def test_gps_camera_and_xmp_metadata_never_reach_the_renditions(make_user, django_capture_on_commit_callbacks):
    data = quadrant_bytes(
        "JPEG", (1600, 900), exif=_revealing_exif(), xmp=b"<x:xmpmeta>creator: Secret Person</x:xmpmeta>"
    )
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(0x8825), "the test photo really carries a GPS position"
    assert b"SpyCam" in data and b"Secret Person" in data

    image = store_profile_image(make_user().profile, BANNER, data, capture=django_capture_on_commit_callbacks)

    assert set(image.renditions["sizes"]) == {"800", "1600"}
    for name in _all_renditions(image):
        raw = read_public_bytes(name)
        rendered = Image.open(io.BytesIO(raw))
        assert rendered.format == "WEBP"
        assert not rendered.getexif(), name
        assert not rendered.getexif().get_ifd(0x8825)
        assert {"exif", "xmp", "icc_profile"}.isdisjoint(rendered.info), rendered.info.keys()
        # No metadata chunk in the RIFF container, and no leaked strings anywhere in the file.
        for marker in (b"EXIF", b"XMP ", b"ICCP", b"SpyCam", b"X-9000", b"SERIAL-0042", b"Secret Person"):
            assert marker not in raw, (name, marker)
    # The owner's untouched original is kept privately, metadata and all.
    assert b"SpyCam" in read_original_bytes(image.original_name)


# --- Colour --------------------------------------------------------------------------------------


def test_to_srgb_converts_through_the_embedded_profile():
    tagged = Image.new("RGB", (8, 8), (255, 0, 0))
    tagged.info["icc_profile"] = _primaries_swapped_profile()

    converted = to_srgb(tagged)

    assert converted.mode == "RGB"
    assert close_to(converted.getpixel((4, 4)), (0, 0, 255), tolerance=3)


def test_to_srgb_ignores_a_broken_profile():
    tagged = Image.new("RGB", (8, 8), (255, 0, 0))
    tagged.info["icc_profile"] = b"not an icc profile at all"

    assert to_srgb(tagged).getpixel((0, 0)) == (255, 0, 0)


def test_to_srgb_keeps_transparency():
    translucent = Image.new("RGBA", (8, 8), (10, 20, 30, 100))

    converted = to_srgb(translucent)

    assert converted.mode == "RGBA"
    assert converted.getpixel((0, 0)) == (10, 20, 30, 100)


def test_renditions_are_converted_to_srgb_and_carry_no_profile(make_user, django_capture_on_commit_callbacks):
    data = encode(
        Image.new("RGB", (600, 600), (255, 0, 0)), "JPEG", quality=95, icc_profile=_primaries_swapped_profile()
    )

    image = store_profile_image(make_user().profile, AVATAR, data, capture=django_capture_on_commit_callbacks)

    for name in _all_renditions(image):
        rendered = open_public(name)
        assert "icc_profile" not in rendered.info
        assert close_to(rendered.convert("RGB").getpixel((60, 60)), (0, 0, 255)), "red in that profile is blue"
    assert image.renditions["color"] in {"#0000ff", "#0000fe", "#0000fd", "#0100fe", "#0000fc"}


# --- Crop and size -------------------------------------------------------------------------------


def test_render_crop_shows_the_chosen_region():
    picture = quadrant_image((1200, 800))
    # A 600x600 square centred on the middle of the picture: one quarter of each quadrant.
    crop = CropBox(x=0.25, y=0.125, width=0.5, height=0.75)

    rendered = render_crop(picture, crop, (256, 256))

    assert rendered.size == (256, 256)
    assert rendered.getpixel((64, 64)) == QUADRANT_COLOURS["top-left"]
    assert rendered.getpixel((192, 64)) == QUADRANT_COLOURS["top-right"]
    assert rendered.getpixel((64, 192)) == QUADRANT_COLOURS["bottom-left"]
    assert rendered.getpixel((192, 192)) == QUADRANT_COLOURS["bottom-right"]


def test_a_crop_is_honoured_in_every_stored_rendition(make_user, django_capture_on_commit_callbacks):
    # A 600x200 band inside the bottom-right quadrant of a 1200x800 picture.
    crop = CropBox(x=0.5, y=0.625, width=0.5, height=0.25)

    image = store_profile_image(
        make_user().profile,
        BANNER,
        quadrant_bytes("PNG", (1200, 800)),
        capture=django_capture_on_commit_callbacks,
        crop=crop,
    )

    assert image.crop == crop.as_dict()
    assert set(image.renditions["sizes"]) == {"600"}, "a 600-pixel-wide crop cannot fill an 800 rendition"
    rendered = open_public(image.renditions["sizes"]["600"]).convert("RGB")
    assert rendered.size == (600, 200)
    for point in [(5, 5), (300, 100), (594, 194)]:
        assert close_to(rendered.getpixel(point), QUADRANT_COLOURS["bottom-right"]), point


@pytest.mark.parametrize(
    ("kind", "source", "widths"),
    [
        (AVATAR, (300, 200), {128, 200}),
        (AVATAR, (1200, 800), {128, 256, 512}),
        (BANNER, (1000, 500), {800, 1000}),
        (BANNER, (3000, 1200), {800, 1600, 2400}),
        (BANNER, (120, 40), {120}),
    ],
)
def test_renditions_are_never_upscaled(kind, source, widths, make_user, django_capture_on_commit_callbacks):
    image = store_profile_image(
        make_user().profile, kind, quadrant_bytes("PNG", source), capture=django_capture_on_commit_callbacks
    )

    assert {int(width) for width in image.renditions["sizes"]} == widths
    for width, name in image.renditions["sizes"].items():
        rendered = open_public(name)
        assert rendered.width == int(width) <= source[0]
    assert image.renditions["width"] == max(widths)
    # The private editor preview shows the whole picture, at most 1600 pixels long, never upscaled.
    with originals_storage().open(image.renditions["editor"], "rb") as editor:
        preview = Image.open(editor).size
    if max(source) <= 1600:
        assert preview == source
    else:
        assert max(preview) == 1600 and preview[0] / preview[1] == pytest.approx(source[0] / source[1], abs=0.01)


def test_render_crop_and_fit_within_never_upscale():
    small = quadrant_image((100, 60))

    assert render_crop(small, CropBox(0, 0, 1, 1), (512, 512)).size == (100, 60)
    assert fit_within(small, 1600).size == (100, 60)
    assert fit_within(quadrant_image((3200, 1000)), 1600).size == (1600, 500)


def test_encode_webp_writes_no_metadata_even_when_the_image_carries_some():
    picture = quadrant_image((64, 64))
    picture.info.update(icc_profile=_primaries_swapped_profile(), exif=b"Exif\x00\x00MM", xmp=b"<xmp/>")

    raw = encode_webp(picture)

    assert raw[:4] == b"RIFF" and raw[8:12] == b"WEBP"
    assert all(chunk not in raw for chunk in (b"ICCP", b"EXIF", b"XMP "))


# --- CropBox -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ((-0.1, 0, 0.5, 0.5), "crop_outside"),
        ((0, -0.01, 0.5, 0.5), "crop_outside"),
        ((1, 0, 0.5, 0.5), "crop_outside"),
        ((0, 0, 1.5, 0.5), "crop_outside"),
        ((0, 0, 0, 0.5), "crop_outside"),
        ((0, 0, 0.5, -0.5), "crop_outside"),
        ((0.6, 0, 0.5, 0.5), "crop_outside"),
        ((0, 0.7, 0.5, 0.5), "crop_outside"),
        ((0, 0, float("inf"), 0.5), "crop_outside"),
        ((float("nan"), 0, 0.5, 0.5), "crop_invalid"),
        (("abc", 0, 0.5, 0.5), "crop_invalid"),
        ((None, 0, 0.5, 0.5), "crop_invalid"),
    ],
)
def test_cropbox_rejects_values_outside_the_image(values, code):
    with pytest.raises(ValidationError) as caught:
        CropBox.from_values(*values)

    assert caught.value.code == code


def test_cropbox_accepts_the_whole_image_and_tiny_rounding_overshoot():
    assert CropBox.from_values("0", "0", "1", "1") == CropBox(0.0, 0.0, 1.0, 1.0)
    assert CropBox.from_values(0.5, 0.25, 0.50005, 0.75).width == pytest.approx(0.50005)


def test_cropbox_to_pixels_stays_inside_and_is_never_empty():
    assert CropBox(0.25, 0.125, 0.5, 0.75).to_pixels(1200, 800) == (300, 100, 900, 700)
    assert CropBox(0.5, 0.5, 0.50005, 0.50005).to_pixels(1000, 1000) == (500, 500, 1000, 1000)


@pytest.mark.parametrize("corner", [0.0, 0.5, 0.9996, 0.99995])
def test_cropbox_to_pixels_is_at_least_one_pixel_inside_the_image(corner):
    box = CropBox.from_values(corner, corner, 0.00004, 0.00004)

    left, top, right, bottom = box.to_pixels(1200, 800)

    assert 0 <= left < right <= 1200
    assert 0 <= top < bottom <= 800


@pytest.mark.parametrize(("size", "aspect"), [((1200, 800), 1.0), ((800, 1200), 1.0), ((1200, 800), 3.0)])
def test_centred_crop_is_the_largest_box_of_the_aspect(size, aspect):
    crop = centred_crop(*size, aspect)
    left, top, right, bottom = crop.to_pixels(*size)

    assert (right - left) / (bottom - top) == pytest.approx(aspect, rel=0.01)
    assert right - left == size[0] or bottom - top == size[1]
    assert left + right == pytest.approx(size[0], abs=1) and top + bottom == pytest.approx(size[1], abs=1)
