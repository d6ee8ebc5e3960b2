"""Media on S3: the production storage settings, run against moto's S3 server on localhost.

moto speaks S3's real HTTP protocol and enforces object ACLs for anonymous requests, so these
tests prove what a visitor without credentials can and cannot fetch.
"""

import urllib.error
import urllib.request

import pytest
from django.core.files.base import ContentFile

from atelier.accounts import services
from atelier.accounts.models import ProfileImage, ProfileImageKind
from atelier.accounts.profile_images import profile_image_replace
from atelier.media.storages import originals_storage, public_storage
from atelier.media.validation import inspect_image
from tests import s3_stand_in
from tests.conftest import image_bytes

BUCKET = "atelier-media"


@pytest.fixture(scope="module")
def s3_endpoint():
    with s3_stand_in.served(BUCKET) as endpoint:
        yield endpoint


@pytest.fixture
def s3_storages(s3_endpoint, settings, tmp_path):
    s3_stand_in.use_s3_storages(
        settings, endpoint=s3_endpoint, bucket=BUCKET, media_root=tmp_path, AWS_PUBLIC_ACL="public-read"
    )
    return s3_endpoint


def _anonymous_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local test server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _upload_avatar(user, django_capture_on_commit_callbacks) -> ProfileImage:
    upload = ContentFile(image_bytes("JPEG", size=(900, 600)), name="avatar.jpg")
    facts = inspect_image(upload, max_bytes=10_000_000, max_pixels=10_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        image = profile_image_replace(
            profile=user.profile, kind=ProfileImageKind.AVATAR, upload=upload, facts=facts, crop=None
        )
    image.refresh_from_db()
    return image


def test_renditions_are_public_and_originals_private_on_s3(s3_storages, make_user, django_capture_on_commit_callbacks):
    image = _upload_avatar(make_user("s3artist"), django_capture_on_commit_callbacks)

    assert image.state == "ready"
    assert public_storage().__class__.__name__ == "SignedS3Storage"
    original_key = f"originals/{image.original_name}"
    plain_original_url = f"{s3_storages}/{BUCKET}/{original_key}"
    assert _anonymous_get(plain_original_url) == 403, "an original must not be readable without credentials"
    for name in image.renditions["sizes"].values():
        # Pages link the edge (signed, expiring), which fetches the object from the bucket.
        assert public_storage().url(name).startswith(f"/media/{name}?e=")
        assert _anonymous_get(f"{s3_storages}/{BUCKET}/public/{name}") == 200
    assert _anonymous_get(f"{s3_storages}/{BUCKET}/originals/{image.renditions['editor']}") == 403
    # The worker (with credentials) can still read the original.
    assert originals_storage().exists(image.original_name)


def test_deleting_the_account_removes_its_objects_from_the_bucket(
    s3_storages, make_user, django_capture_on_commit_callbacks
):
    user = make_user("s3leaver")
    image = _upload_avatar(user, django_capture_on_commit_callbacks)
    names = [image.original_name, image.renditions["editor"], *image.renditions["sizes"].values()]

    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(user=user)

    assert not originals_storage().exists(image.original_name)
    assert not originals_storage().exists(image.renditions["editor"])
    assert not any(public_storage().exists(name) for name in image.renditions["sizes"].values())
    assert len(names) >= 3
