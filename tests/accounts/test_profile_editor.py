"""The profile editor's images: upload with a crop, re-crop, remove, the private crop source, deletion.

Every check reads the files the request and the (eager) worker really wrote to the two storages.
"""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from atelier.accounts import services
from atelier.accounts.models import ProfileImage, ProfileImageKind, ProfileImageState
from atelier.accounts.profile_images import profile_image_render
from atelier.media.storages import originals_storage, public_storage
from tests.accounts.profile_editor_support import (
    EDITOR_URL,
    TYPED_TEXT,
    crop_fields,
    give_avatar,
    post_profile,
)
from tests.conftest import TEST_PASSWORD
from tests.media.sample_files import (
    QUADRANT_COLOURS,
    close_to,
    open_public,
    profile_files,
    quadrant_bytes,
    read_original_bytes,
)

AVATAR = ProfileImageKind.AVATAR
BANNER = ProfileImageKind.BANNER

pytestmark = pytest.mark.usefixtures("isolated_media")


def _image(user, kind) -> ProfileImage:
    return ProfileImage.objects.get(profile__user=user, kind=kind)


def _widths(image: ProfileImage) -> dict[int, tuple[int, int]]:
    """Rendition width (as recorded) -> the real pixel size of the stored WebP."""
    return {int(width): open_public(name).size for width, name in image.renditions["sizes"].items()}


def _all_names(image: ProfileImage) -> tuple[list[str], list[str]]:
    return list(image.renditions["sizes"].values()), [image.original_name, image.renditions["editor"]]


@pytest.fixture
def with_avatar(signed_in_client, user, django_capture_on_commit_callbacks):
    return give_avatar(signed_in_client, django_capture_on_commit_callbacks, user)


def test_upload_with_crops_builds_renditions_in_public_storage(
    signed_in_client, user, django_capture_on_commit_callbacks
):
    avatar_bytes = quadrant_bytes("JPEG", (1200, 800), quality=92)
    banner_bytes = quadrant_bytes("PNG", (3000, 1000))

    response = post_profile(
        signed_in_client,
        django_capture_on_commit_callbacks,
        avatar=("avatar.jpg", avatar_bytes),
        banner=("banner.png", banner_bytes),
        # A 600x600 square around the centre: a quarter of each quadrant.
        **crop_fields(AVATAR, 0.25, 0.125, 0.5, 0.75),
    )

    assert response.status_code == 302
    assert response["Location"] == EDITOR_URL
    avatar, banner = _image(user, AVATAR), _image(user, BANNER)
    assert avatar.state == banner.state == ProfileImageState.READY
    assert (avatar.original_format, avatar.original_width, avatar.original_height) == ("JPEG", 1200, 800)
    assert avatar.crop == {"x": 0.25, "y": 0.125, "width": 0.5, "height": 0.75}
    assert _widths(avatar) == {128: (128, 128), 256: (256, 256), 512: (512, 512)}
    assert _widths(banner) == {800: (800, 267), 1600: (1600, 533), 2400: (2400, 800)}
    assert (avatar.renditions["width"], avatar.renditions["height"]) == (512, 512)
    # A second delivery of the same render task finds that version built and changes nothing.
    assert profile_image_render(image_id=avatar.pk, version=avatar.version) is False
    assert _image(user, AVATAR).renditions == avatar.renditions
    largest = open_public(avatar.renditions["sizes"]["512"]).convert("RGB")
    for point, quadrant in [((128, 128), "top-left"), ((384, 128), "top-right"), ((128, 384), "bottom-left")]:
        assert close_to(largest.getpixel(point), QUADRANT_COLOURS[quadrant]), quadrant
    assert close_to(largest.getpixel((384, 384)), QUADRANT_COLOURS["bottom-right"])
    user.profile.refresh_from_db()
    assert user.profile.display_name == TYPED_TEXT["display_name"]


def test_banner_renditions_stop_at_the_source_width(signed_in_client, user, django_capture_on_commit_callbacks):
    post_profile(
        signed_in_client, django_capture_on_commit_callbacks, banner=("wide.png", quadrant_bytes("PNG", (2000, 900)))
    )

    widths = _widths(_image(user, BANNER))
    assert set(widths) == {800, 1600, 2000}
    # Heights are a third of the width, give or take the rounding of the crop to whole pixels.
    assert all(size[0] == width and abs(size[1] - width / 3) <= 1 for width, size in widths.items())


def test_the_original_is_kept_privately_and_never_served(
    signed_in_client, user, client, django_capture_on_commit_callbacks
):
    data = quadrant_bytes("JPEG", (900, 900), quality=97)
    post_profile(signed_in_client, django_capture_on_commit_callbacks, avatar=("me.jpg", data))
    avatar = _image(user, AVATAR)

    assert read_original_bytes(avatar.original_name) == data, "the original is kept byte for byte"
    assert not public_storage().exists(avatar.original_name)
    public_root = Path(public_storage().location).resolve()
    assert public_root not in Path(originals_storage().path(avatar.original_name)).resolve().parents
    assert all(public_storage().exists(name) for name in avatar.renditions["sizes"].values())
    assert not any(originals_storage().exists(name) for name in avatar.renditions["sizes"].values())
    # What anyone can fetch from /media/: renditions yes, the original and the crop preview no.
    rendition = client.get(public_storage().url(avatar.renditions["sizes"]["256"]))
    assert rendition.status_code == 200
    assert Image.open(io.BytesIO(b"".join(rendition.streaming_content))).size == (256, 256)
    for private_name in (avatar.original_name, avatar.renditions["editor"]):
        assert client.get(f"/media/{private_name}").status_code == 403  # no signature
        assert client.get(public_storage().url(private_name)).status_code == 404  # signed, but not public
        assert client.get(f"/media/../originals/{private_name}").status_code in {400, 403, 404}


def test_editor_source_is_only_for_the_owner(with_avatar, signed_in_client, client, make_user):
    url = reverse("accounts:profile_image_editor_source", kwargs={"kind": AVATAR})

    own = signed_in_client.get(url)
    assert own.status_code == 200
    assert own["Content-Type"] == "image/webp"
    assert own["Cache-Control"] == "private, no-store"
    assert Image.open(io.BytesIO(b"".join(own.streaming_content))).size == (1200, 800), "the whole uncropped frame"

    client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))

    client.force_login(make_user("someone_else"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("accounts:profile_image_editor_source", kwargs={"kind": "banner"})).status_code == 404


def test_editor_page_offers_the_crop_source_and_current_crop(with_avatar, signed_in_client):
    page = signed_in_client.get(EDITOR_URL).content.decode()

    assert 'data-source="/settings/profile/avatar/editor-source"' in page
    crop = with_avatar.crop
    assert f'data-crop="{crop["x"]},{crop["y"]},{crop["width"]},{crop["height"]}"' in page
    assert with_avatar.original_name not in page


def test_recrop_without_reupload_rebuilds_renditions(
    with_avatar, signed_in_client, user, django_capture_on_commit_callbacks
):
    before = ProfileImage.objects.get(pk=with_avatar.pk)
    old_public, _ = _all_names(before)
    # Only the top-right quadrant (600x400 → a 400x400 square in it).
    response = post_profile(
        signed_in_client, django_capture_on_commit_callbacks, **crop_fields(AVATAR, 0.5, 0, 1 / 3, 0.5)
    )

    assert response.status_code == 302
    after = _image(user, AVATAR)
    assert after.version == before.version + 1
    assert after.state == ProfileImageState.READY
    assert after.original_name == before.original_name, "the original is reused, not re-uploaded"
    assert set(after.renditions["sizes"]) == {"128", "256", "400"}
    assert not set(after.renditions["sizes"].values()) & set(old_public)
    rendered = open_public(after.renditions["sizes"]["400"]).convert("RGB")
    for point in [(10, 10), (200, 200), (390, 390)]:
        assert close_to(rendered.getpixel(point), QUADRANT_COLOURS["top-right"]), point
    assert not any(public_storage().exists(name) for name in old_public), "old renditions are removed"
    assert originals_storage().exists(before.original_name)
    assert not originals_storage().exists(before.renditions["editor"])


def test_posting_the_same_crop_again_changes_nothing(
    with_avatar, signed_in_client, user, django_capture_on_commit_callbacks
):
    crop = with_avatar.crop

    post_profile(
        signed_in_client,
        django_capture_on_commit_callbacks,
        **crop_fields(AVATAR, crop["x"], crop["y"], crop["width"], crop["height"]),
    )

    after = _image(user, AVATAR)
    assert (after.version, after.renditions) == (with_avatar.version, with_avatar.renditions)


def test_replacing_the_avatar_removes_the_previous_files(
    with_avatar, signed_in_client, user, django_capture_on_commit_callbacks
):
    old_public, old_private = _all_names(with_avatar)

    post_profile(
        signed_in_client, django_capture_on_commit_callbacks, avatar=("new.png", quadrant_bytes("PNG", (300, 300)))
    )

    after = _image(user, AVATAR)
    assert after.pk == with_avatar.pk and after.version == with_avatar.version + 1
    assert set(after.renditions["sizes"]) == {"128", "256", "300"}
    assert not any(public_storage().exists(name) for name in old_public)
    assert not any(originals_storage().exists(name) for name in old_private)
    public, private = profile_files(user.profile)
    assert public == set(after.renditions["sizes"].values())
    assert private == {after.original_name, after.renditions["editor"]}


def test_remove_avatar_deletes_its_files_and_keeps_the_banner(
    with_avatar, signed_in_client, user, django_capture_on_commit_callbacks
):
    post_profile(
        signed_in_client, django_capture_on_commit_callbacks, banner=("b.png", quadrant_bytes("PNG", (1200, 400)))
    )
    banner = _image(user, BANNER)
    avatar_public, avatar_private = _all_names(with_avatar)

    response = post_profile(signed_in_client, django_capture_on_commit_callbacks, remove_avatar="on")

    assert response.status_code == 302
    assert not ProfileImage.objects.filter(pk=with_avatar.pk).exists()
    assert not any(public_storage().exists(name) for name in avatar_public)
    assert not any(originals_storage().exists(name) for name in avatar_private)
    public, private = profile_files(user.profile)
    assert public == set(banner.renditions["sizes"].values())
    assert private == {banner.original_name, banner.renditions["editor"]}
    page = signed_in_client.get(user.get_absolute_url()).content.decode()
    assert "avatar-empty" in page


def _both_images(client, capture) -> list[ProfileImage]:
    post_profile(
        client,
        capture,
        avatar=("a.png", quadrant_bytes("PNG", (600, 600))),
        banner=("b.jpg", quadrant_bytes("JPEG", (1800, 600))),
    )
    return list(ProfileImage.objects.filter(profile__user__handle="mira"))


def test_account_delete_service_removes_every_file_from_both_storages(
    signed_in_client, user, django_capture_on_commit_callbacks
):
    images = _both_images(signed_in_client, django_capture_on_commit_callbacks)
    public, private = profile_files(user.profile)
    assert len(images) == 2 and len(public) == 3 + 3 and len(private) == 2 + 2

    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(user=user)

    assert not any(public_storage().exists(name) for name in public)
    assert not any(originals_storage().exists(name) for name in private)
    assert profile_files(user.profile) == (set(), set())
    assert not ProfileImage.objects.exists()


def test_deleting_the_account_in_settings_removes_every_file(
    signed_in_client, user, client, django_capture_on_commit_callbacks
):
    _both_images(signed_in_client, django_capture_on_commit_callbacks)
    public, private = profile_files(user.profile)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in_client.post(
            reverse("accounts:settings_delete"), {"handle": "mira", "password": TEST_PASSWORD}
        )

    assert response.status_code == 302
    assert not any(public_storage().exists(name) for name in public)
    assert not any(originals_storage().exists(name) for name in private)
    assert client.get("/@mira").status_code == 404
