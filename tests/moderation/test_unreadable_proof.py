"""An appeal's proof that no decoder can read (tests/media/unreadable_files.py): a clear 400, never a
500, and the appeal is not sent half-made."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from atelier.moderation.models import Appeal
from tests.media.test_unreadable_files import FILES, IDS, _refused
from tests.moderation.conftest import wip_png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


@pytest.mark.parametrize(("name", "data"), FILES, ids=IDS)
def test_an_appeal_refuses_unreadable_proof(artist, held_post, name, data):
    client = Client(raise_request_exception=True)
    client.force_login(artist)
    files = [SimpleUploadedFile("wip.png", wip_png()), SimpleUploadedFile(name, data)]
    response = client.post(f"/posts/{held_post.pk}/appeal", {"message": "Painted over a week.", "files": files})
    _refused(response)
    assert not Appeal.objects.exists()
