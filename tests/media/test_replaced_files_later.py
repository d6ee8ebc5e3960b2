"""Replaced renditions and covers outlive the swap by a grace period, so a page rendered just before
it still loads its images (the surge bench's image 404s: a re-drawn thumbnail's old file deleted at
commit while the page naming it was in readers' browsers)."""

import pytest
from celery import current_app
from celery.signals import before_task_publish
from django.core.files.base import ContentFile

from atelier.media.storages import public_storage
from atelier.media.tasks import delete_replaced_files, replaced_files_delete_later


@pytest.fixture
def published():
    """Tasks published to the broker (not run eagerly) while the test runs; purged afterwards."""
    sent = []

    def record(sender=None, body=None, headers=None, **kwargs):
        sent.append({"task": sender, "args": body[0], "eta": headers.get("eta"), "queue": kwargs.get("routing_key")})

    before_task_publish.connect(record)
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    try:
        yield sent
    finally:
        current_app.conf.task_always_eager = eager
        before_task_publish.disconnect(record)
        with current_app.connection_for_write() as connection:
            connection.default_channel.queue_purge("media")


def test_replaced_files_are_deleted_after_the_grace_period_on_the_media_queue(published, settings):
    settings.MEDIA_REPLACED_FILES_GRACE_SECONDS = 600
    replaced_files_delete_later(["posts/1/thumbnail-old-640.webp"])
    assert len(published) == 1
    assert published[0]["task"] == "atelier.media.tasks.delete_replaced_files"
    assert list(published[0]["args"]) == [["posts/1/thumbnail-old-640.webp"]]
    assert published[0]["eta"], "queued to run later, not at once"
    assert published[0]["queue"] == "media"


def test_nothing_replaced_queues_nothing(published):
    replaced_files_delete_later([])
    assert published == []


def test_the_task_deletes_the_files_and_tolerates_ones_already_gone(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    name = public_storage().save("posts/7/cover-old-960.webp", ContentFile(b"RIFF....WEBP"))
    assert public_storage().exists(name)
    delete_replaced_files.delay([name, "posts/7/never-there.webp"])
    assert not public_storage().exists(name)
