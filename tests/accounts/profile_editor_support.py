"""Posting the profile editor (/settings/profile/) the way its form does, with real files."""

from django.urls import reverse

from atelier.accounts.models import ProfileImage, ProfileImageKind
from tests.media.sample_files import quadrant_bytes, upload

EDITOR_URL = reverse("accounts:settings_profile")

TYPED_TEXT = {
    "display_name": "Mira Okafor",
    "headline": "Concept artist, moody forests",
    "bio": "I paint lighthouses.",
    "location": "Lisbon",
    "website": "https://mira.example.com",
    "social_links": "https://www.artstation.com/mira",
    "skills": "matte painting, lighting",
    "software": "Procreate, Blender",
}


def crop_fields(kind: str, x, y, width, height) -> dict:
    return {f"{kind}_crop_x": x, f"{kind}_crop_y": y, f"{kind}_crop_width": width, f"{kind}_crop_height": height}


def post_profile(client, capture, **fields):
    """POST the whole form (typed text plus `fields`), running the eager render queued on commit.

    Files are given as (name, bytes) pairs.
    """
    data = {**TYPED_TEXT}
    for key, value in fields.items():
        data[key] = upload(*value) if isinstance(value, tuple) else value
    with capture(execute=True):
        return client.post(EDITOR_URL, data)


def give_avatar(client, capture, user) -> ProfileImage:
    """A ready avatar for `user` (signed in on `client`): the centred square of a 1200×800 picture."""
    response = post_profile(client, capture, avatar=("me.png", quadrant_bytes("PNG", (1200, 800))))
    assert response.status_code == 302
    return ProfileImage.objects.get(profile__user=user, kind=ProfileImageKind.AVATAR)
