"""`seed_demo`: one command gives a complete demo site, and running it again changes nothing."""

import io

import pytest
from django.core.management import call_command

from atelier.accounts.models import AccountType, ProfileImage, ProfileImageKind, ProfileImageState, User
from atelier.accounts.profile_images import PROFILE_IMAGE_SPECS
from atelier.demo import art as demo_art
from atelier.demo.management.commands.seed_demo import DEMO_PASSWORD
from atelier.media.storages import originals_storage, public_storage


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


# transaction=True: renditions are queued with on_commit (and run eagerly in tests).
@pytest.mark.django_db(transaction=True)
def test_seed_demo_builds_complete_distinct_profiles_once():
    first_output = _seed()
    users_after_first = set(User.objects.values_list("pk", flat=True))
    images_after_first = set(ProfileImage.objects.values_list("pk", "version", "original_name"))

    second_output = _seed()

    assert "13 created, 0 already existed" in first_output
    assert "0 created, 13 already existed" in second_output
    assert DEMO_PASSWORD in second_output
    assert User.objects.count() == 13
    assert set(User.objects.values_list("pk", flat=True)) == users_after_first
    assert set(ProfileImage.objects.values_list("pk", "version", "original_name")) == images_after_first

    studio = User.objects.get(account_type=AccountType.STUDIO)
    assert studio.profile.hiring is True
    assert not User.objects.filter(email_verified_at__isnull=True).exists()
    assert User.objects.get(handle="ines_ortega").check_password(DEMO_PASSWORD)

    for user in User.objects.select_related("profile"):
        profile = user.profile
        assert profile.display_name and profile.headline and profile.bio_html and profile.skills
        images = {image.kind: image for image in profile.images.all()}
        assert set(images) == set(ProfileImageKind.values)
        for kind, image in images.items():
            assert image.state == ProfileImageState.READY
            assert len(image.renditions["sizes"]) == len(PROFILE_IMAGE_SPECS[kind]["sizes"])
            assert all(public_storage().exists(name) for name in image.renditions["sizes"].values())

    avatars = []
    for handle in ("ines_ortega", "kofi_mensah"):
        avatar = ProfileImage.objects.get(profile__user__handle=handle, kind=ProfileImageKind.AVATAR)
        with originals_storage().open(avatar.original_name, "rb") as file:
            avatars.append(file.read())
    assert avatars[0] != avatars[1]


def test_demo_art_is_the_same_picture_for_the_same_handle():
    assert demo_art.avatar_png("ines_ortega") == demo_art.avatar_png("ines_ortega")
