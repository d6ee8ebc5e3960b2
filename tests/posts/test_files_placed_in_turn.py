"""Two workers placing one post's files at once take turns on the post's row, so the later one reads
the names the earlier one's commit left and moves them all (issue 19: a new public post's images
answered 404 when two re-signing workers raced to move the same files and the loser gave up)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from atelier.media.storages import files_withhold
from atelier.posts.files import place_post_files, post_file_names
from atelier.posts.models import Post, PostState
from tests.posts.support import add_image, files_in_public_storage, files_withheld, publish

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("isolated_media")]


def backends_waiting_on_a_lock() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_second_placer_waits_for_the_post_and_then_moves_every_file(draft, capture):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are PostgreSQL's (DATABASE_URL); SQLite runs one writer at a time anyway.")
    add_image(draft, capture=capture)
    add_image(draft, capture=capture, size=(500, 300))
    post = publish(draft, capture=capture)
    assert post.state == PostState.PUBLIC
    names = post_file_names(post)
    assert set(names) <= files_in_public_storage()
    placed = {}

    def second_worker():
        try:
            placed["moved"] = place_post_files(post.pk)
        finally:
            connections.close_all()

    with transaction.atomic():
        Post.objects.select_for_update().get(pk=post.pk)  # the first worker, placing this post
        # New renditions are born withheld: what a re-signed image leaves for the next placer to move.
        files_withhold(names[-3:])
        worker = threading.Thread(target=second_worker)
        worker.start()
        deadline = time.monotonic() + 30
        while not backends_waiting_on_a_lock() and time.monotonic() < deadline:
            pass
        assert worker.is_alive() and "moved" not in placed  # it waits for the row, not racing on files
    worker.join(30)

    assert placed["moved"] == 3
    assert set(names) <= files_in_public_storage()
    assert not set(names) & files_withheld()
