"""Hostile and broken input to the profile editor: refused with a readable message, nothing half-saved.

Every case starts from a profile with a ready avatar, so "untouched" is checked against real files.
"""

import html

import pytest
from PIL import Image

from atelier.accounts.models import ProfileImage, ProfileImageKind
from tests.accounts.profile_editor_support import TYPED_TEXT, crop_fields, give_avatar, post_profile
from tests.media.sample_files import (
    PDF_DOCUMENT,
    QUADRANT_COLOURS,
    SVG_WITH_SCRIPT,
    encode,
    open_public,
    png_claiming,
    profile_files,
    quadrant_bytes,
    truncated_jpeg,
)

AVATAR = ProfileImageKind.AVATAR
BANNER = ProfileImageKind.BANNER
NOT_AN_IMAGE = "This file is not an image we can read. Upload JPEG, PNG, WebP, GIF, AVIF, HEIC/HEIF."
OUTSIDE = "The crop must lie inside the image."
NOT_NUMBERS = "The crop must be four numbers."
# What the person typed in the same submission: it must come back in the form, and must not be saved.
RETYPED = {"display_name": "Mira the Renamed", "headline": "Now a 3D generalist", "bio": "A brand new bio."}

pytestmark = pytest.mark.usefixtures("isolated_media")


@pytest.fixture
def avatar(signed_in_client, user, django_capture_on_commit_callbacks):
    return give_avatar(signed_in_client, django_capture_on_commit_callbacks, user)


@pytest.fixture
def snapshot(avatar, user):
    """Everything that must not change: the avatar row and every stored file."""

    def take():
        image = ProfileImage.objects.get(pk=avatar.pk)
        fields = (image.version, image.original_name, image.crop, image.renditions, image.state)
        return fields, profile_files(user.profile), ProfileImage.objects.count()

    return take


def _assert_refused(response, message: str, user, before, snapshot):
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert message in page
    assert "has-error" in page
    # The typed values are given back, so nothing has to be typed twice…
    assert f'value="{RETYPED["display_name"]}"' in page
    assert f'value="{RETYPED["headline"]}"' in page
    assert RETYPED["bio"] in page
    # …but none of them was saved, and the images and their files are exactly as they were.
    user.profile.refresh_from_db()
    assert user.profile.display_name == TYPED_TEXT["display_name"]
    assert user.profile.bio == TYPED_TEXT["bio"]
    assert snapshot() == before


def _oversized_png() -> bytes:
    return encode(Image.effect_noise((400, 400), 60).convert("RGB"), "PNG")


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("photo.jpg", truncated_jpeg, "This image file is damaged or incomplete; try exporting it again."),
        ("huge.png", lambda: png_claiming(30_000, 30_000), "This image has too many pixels to process safely"),
        ("big.png", lambda: png_claiming(8000, 8000), "This image is 8000×8000 pixels; the limit is 50 megapixels."),
        ("avatar.svg", lambda: SVG_WITH_SCRIPT, NOT_AN_IMAGE),
        ("avatar.png", lambda: SVG_WITH_SCRIPT, NOT_AN_IMAGE),
        ("portfolio.pdf", lambda: PDF_DOCUMENT, NOT_AN_IMAGE),
        ("notes.png", lambda: b"just some text\n" * 50, NOT_AN_IMAGE),
        ("scan.tiff", lambda: quadrant_bytes("TIFF", (300, 300)), "TIFF images are not supported."),
        ("empty.png", lambda: b"", "The submitted file is empty."),
    ],
    ids=["corrupt-jpeg", "bomb", "over-pixel-limit", "svg", "svg-as-png", "pdf", "text", "tiff", "empty"],
)
@pytest.mark.parametrize("kind", [AVATAR, BANNER])
def test_hostile_uploads_are_refused_and_change_nothing(
    kind, name, make, message, signed_in_client, user, snapshot, django_capture_on_commit_callbacks
):
    before = snapshot()

    response = post_profile(signed_in_client, django_capture_on_commit_callbacks, **RETYPED, **{kind: (name, make())})

    _assert_refused(response, message, user, before, snapshot)
    assert "<script" not in response.content.decode().split("</head>", 1)[1]


def test_a_file_over_the_byte_limit_is_refused(
    settings, signed_in_client, user, snapshot, django_capture_on_commit_callbacks
):
    data = _oversized_png()
    settings.PROFILE_IMAGE_MAX_BYTES = 100_000
    assert len(data) > 100_000
    before = snapshot()

    response = post_profile(signed_in_client, django_capture_on_commit_callbacks, **RETYPED, avatar=("big.png", data))

    _assert_refused(response, "; the limit is 97.7\xa0KB.", user, before, snapshot)


def test_a_lower_pixel_limit_in_settings_is_honoured(
    settings, signed_in_client, user, snapshot, django_capture_on_commit_callbacks
):
    settings.PROFILE_IMAGE_MAX_PIXELS = 1_000_000
    before = snapshot()

    response = post_profile(
        signed_in_client,
        django_capture_on_commit_callbacks,
        **RETYPED,
        avatar=("photo.png", quadrant_bytes("PNG", (1200, 900))),
    )

    _assert_refused(response, "This image is 1200×900 pixels; the limit is 1 megapixels.", user, before, snapshot)


def test_one_bad_file_refuses_the_good_one_beside_it(
    signed_in_client, user, snapshot, django_capture_on_commit_callbacks
):
    before = snapshot()

    response = post_profile(
        signed_in_client,
        django_capture_on_commit_callbacks,
        **RETYPED,
        avatar=("ok.png", quadrant_bytes("PNG", (800, 800))),
        banner=("cv.pdf", PDF_DOCUMENT),
    )

    _assert_refused(response, NOT_AN_IMAGE, user, before, snapshot)
    assert not ProfileImage.objects.filter(kind=BANNER).exists()


BAD_CROPS = [
    pytest.param((-0.1, 0, 0.5, 0.5), OUTSIDE, id="negative"),
    pytest.param((0, 0, 1.5, 0.5), OUTSIDE, id="wider-than-image"),
    pytest.param((0.8, 0, 0.5, 0.5), OUTSIDE, id="runs-off-the-edge"),
    pytest.param((0, 0, 0, 0.5), OUTSIDE, id="zero-width"),
    pytest.param(("NaN", 0, 0.5, 0.5), NOT_NUMBERS, id="nan"),
    pytest.param((0, "inf", 0.5, 0.5), NOT_NUMBERS, id="infinity"),
    pytest.param((0, 0, "abc", 0.5), NOT_NUMBERS, id="text"),
    pytest.param((0, 0, 0.5, ""), NOT_NUMBERS, id="one-missing"),
    pytest.param(("abc", "abc", "abc", "abc"), NOT_NUMBERS, id="all-text"),
    pytest.param(("nan", "nan", "nan", "nan"), NOT_NUMBERS, id="all-nan"),
]


@pytest.mark.parametrize(("values", "message"), BAD_CROPS)
def test_bad_crop_of_the_existing_avatar_is_refused(
    values, message, signed_in_client, user, snapshot, django_capture_on_commit_callbacks
):
    before = snapshot()

    response = post_profile(
        signed_in_client, django_capture_on_commit_callbacks, **RETYPED, **crop_fields(AVATAR, *values)
    )

    _assert_refused(response, message, user, before, snapshot)


@pytest.mark.parametrize(("values", "message"), BAD_CROPS)
def test_bad_crop_with_a_new_banner_saves_nothing(
    values, message, signed_in_client, user, snapshot, django_capture_on_commit_callbacks
):
    before = snapshot()

    response = post_profile(
        signed_in_client,
        django_capture_on_commit_callbacks,
        **RETYPED,
        banner=("wide.png", quadrant_bytes("PNG", (1500, 500))),
        **crop_fields(BANNER, *values),
    )

    _assert_refused(response, message, user, before, snapshot)


def test_a_crop_for_an_image_that_does_not_exist_is_ignored(
    signed_in_client, user, snapshot, django_capture_on_commit_callbacks
):
    response = post_profile(signed_in_client, django_capture_on_commit_callbacks, **crop_fields(BANNER, 0, 0, 1, 1 / 3))

    assert response.status_code == 302
    assert not ProfileImage.objects.filter(kind=BANNER).exists()


def test_a_sliver_crop_at_the_far_edge_renders_one_pixel_instead_of_failing(
    avatar, signed_in_client, user, django_capture_on_commit_callbacks
):
    # Valid by the rules (x < 1), but x x width rounds to the image's edge: once an empty box that crashed the worker.
    response = post_profile(
        signed_in_client, django_capture_on_commit_callbacks, **crop_fields(AVATAR, 0.9999, 0.9999, 0.0001, 0.0001)
    )

    assert response.status_code == 302
    image = ProfileImage.objects.get(pk=avatar.pk)
    assert image.state == "ready"
    assert image.version == avatar.version + 1
    assert set(image.renditions["sizes"]) == {"1"}
    assert open_public(image.renditions["sizes"]["1"]).convert("RGB").getpixel((0, 0)) == pytest.approx(
        QUADRANT_COLOURS["bottom-right"], abs=14
    )
