"""Files no decoder can read (DDS textures Pillow lacks a reader for, files cut short or corrupted in
every accepted format, byte mutations that make libheif or the AVIF plugin fail) sent through every
upload path a person has: the composer's form, the composer's resumable upload, the avatar and the
banner (an appeal's proof: tests/moderation/test_unreadable_proof.py). Each is a clear 4xx refusal,
never a 500, and nothing is kept."""

import pytest
from django.test import Client

from atelier.accounts.models import ProfileImage
from atelier.media.models import MediaItem
from atelier.posts import services as post_services
from tests.accounts.profile_editor_support import post_profile
from tests.media.unreadable_files import unreadable_files
from tests.posts.support import post_file, url
from tests.uploads.conftest import create_location, send_in_chunks, upload_id_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]

FILES = unreadable_files()
IDS = [name for name, _ in FILES]
REFUSALS = ("not an image we can read", "damaged or incomplete", "neither an image nor a video", "not supported")


def _refused(response) -> str:
    body = response.content.decode()
    assert 400 <= response.status_code < 500, (response.status_code, body[:300])
    return body


@pytest.fixture
def author_client(make_user):
    author = make_user("texture_artist")
    client = Client(raise_request_exception=True)  # a 500 would surface as the exception itself
    client.force_login(author)
    client.author = author
    return client


@pytest.mark.parametrize(("name", "data"), FILES, ids=IDS)
def test_the_composer_refuses_an_unreadable_file(author_client, name, data):
    draft = post_services.post_create_draft(author=author_client.author)
    body = _refused(post_file(author_client, draft, data, name=name))
    assert any(words in body for words in REFUSALS), body
    assert not MediaItem.objects.filter(post=draft).exists()


@pytest.mark.parametrize(("name", "data"), FILES, ids=IDS)
def test_a_resumable_upload_of_an_unreadable_file_is_refused_when_attached(author_client, name, data):
    draft = post_services.post_create_draft(author=author_client.author)
    location = create_location(author_client, len(data), filename=name, filetype="application/octet-stream")
    send_in_chunks(author_client, location, data, chunk=40_000)
    response = author_client.post(url("media_add", draft), {"upload_id": upload_id_of(location)})
    _refused(response)
    assert not MediaItem.objects.filter(post=draft).exists()


@pytest.mark.parametrize("kind", ["avatar", "banner"])
@pytest.mark.parametrize(("name", "data"), FILES, ids=IDS)
def test_the_profile_editor_refuses_an_unreadable_avatar_or_banner(
    author_client, django_capture_on_commit_callbacks, kind, name, data
):
    response = post_profile(author_client, django_capture_on_commit_callbacks, **{kind: (name, data)})
    body = _refused(response)
    assert any(words in body for words in REFUSALS), body
    assert not ProfileImage.objects.filter(profile__user=author_client.author).exists()
