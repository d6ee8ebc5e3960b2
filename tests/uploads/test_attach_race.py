"""One finished upload attached twice at once must end in one item, not two: the claim and the item
are committed together, under a lock on the upload's row. The race is run for real on PostgreSQL
(two threads, two connections, two composer requests released together); SQLite serialises every
writer, so there the second attach is checked one after the other."""

import threading

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from atelier.media.models import MediaItem
from atelier.posts import services as post_services
from atelier.uploads.models import Upload
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import original_files, url
from tests.uploads.conftest import create_location, send_in_chunks, upload_id_of

IMAGE = quadrant_bytes("PNG", (640, 480))


def _finished_upload(client) -> str:
    location = create_location(client, len(IMAGE))
    send_in_chunks(client, location, IMAGE, chunk=40_000)
    return upload_id_of(location)


def _author_client(make_user):
    author = make_user("racer")
    client = Client()
    client.force_login(author)
    return client, author


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the concurrent race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("isolated_media")
def test_two_simultaneous_attaches_of_one_upload_make_one_item_on_postgresql(make_user):
    client, author = _author_client(make_user)
    draft = post_services.post_create_draft(author=author)
    upload_id = _finished_upload(client)
    start = threading.Barrier(2)
    statuses: list[int] = []

    def attach():
        try:
            racer = Client()
            racer.force_login(author)
            start.wait(timeout=10)
            statuses.append(racer.post(url("media_add", draft), {"upload_id": upload_id}).status_code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attach) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [302, 410], statuses
    (item,) = MediaItem.objects.filter(post=draft)
    assert original_files() == {item.original_name}  # the loser's copy of the file is not left behind
    assert Upload.objects.get(pk=upload_id).claimed_at is not None


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_attaching_a_claimed_upload_again_makes_no_second_item(make_user, django_capture_on_commit_callbacks):
    client, author = _author_client(make_user)
    draft = post_services.post_create_draft(author=author)
    other_draft = post_services.post_create_draft(author=author)
    upload_id = _finished_upload(client)
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(url("media_add", draft), {"upload_id": upload_id})
        second = client.post(url("media_add", other_draft), {"upload_id": upload_id})
    assert first.status_code == 302 and second.status_code == 410
    assert "already been used" in second.content.decode()
    assert MediaItem.objects.filter(post__author=author).count() == 1
