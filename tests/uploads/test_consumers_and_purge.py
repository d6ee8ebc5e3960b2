"""What other apps call (open the finished file, claim it) and the hourly purge of chunk objects."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from atelier.media.storages import originals_storage
from atelier.uploads import services
from atelier.uploads.errors import UploadGone, UploadIncomplete, UploadNotFound, UploadOffsetMismatch
from atelier.uploads.models import Upload
from atelier.uploads.tasks import purge_expired_uploads
from tests.uploads.conftest import create_location, head, patch, random_bytes, send_in_chunks, sha256, upload_id_of

pytestmark = pytest.mark.django_db


def finished_upload(client, data: bytes, **kwargs) -> str:
    location = create_location(client, len(data), **kwargs)
    send_in_chunks(client, location, data, chunk=40_000)
    return upload_id_of(location)


def chunk_folder(media_root, upload_id):
    return media_root / "originals" / "uploads" / str(upload_id)


def test_open_completed_streams_a_temporary_file_that_is_removed_afterwards(signed_in_client, user):
    data = random_bytes(123_456)
    upload_id = finished_upload(signed_in_client, data, filename="clip.MP4", filetype="video/mp4")

    with services.upload_open_completed(upload_id=upload_id, user=user) as local:
        path = local.name
        assert path.endswith(".mp4")
        assert sha256(local.read()) == sha256(data)
        with open(path, "rb") as by_path:  # tools such as PyAV want a path
            assert sha256(by_path.read()) == sha256(data)

    assert not os.path.exists(path)


def test_open_completed_refuses_unfinished_unknown_and_others_uploads(signed_in_client, user, make_user):
    location = create_location(signed_in_client, 10)
    patch(signed_in_client, location, 0, b"12345")
    upload_id = upload_id_of(location)

    with (
        pytest.raises(UploadIncomplete, match="not finished"),
        services.upload_open_completed(upload_id=upload_id, user=user),
    ):
        pass
    with pytest.raises(UploadNotFound), services.upload_open_completed(upload_id=upload_id, user=make_user("x")):
        pass


def test_claimed_upload_cannot_be_opened_claimed_or_resumed_again(signed_in_client, user):
    upload_id = finished_upload(signed_in_client, b"a finished painting")

    claimed = services.upload_mark_claimed(upload_id=upload_id, user=user)

    assert claimed.claimed_at is not None
    with (
        pytest.raises(UploadGone, match="already been used"),
        services.upload_open_completed(upload_id=upload_id, user=user),
    ):
        pass
    with pytest.raises(UploadGone):
        services.upload_mark_claimed(upload_id=upload_id, user=user)
    # The browser then starts a new upload of the same file instead of reusing this one.
    assert head(signed_in_client, f"/uploads/{upload_id}").status_code == 410


def test_unfinished_upload_cannot_be_claimed(signed_in_client, user):
    location = create_location(signed_in_client, 10)

    with pytest.raises(UploadIncomplete):
        services.upload_mark_claimed(upload_id=upload_id_of(location), user=user)


def test_purge_removes_abandoned_and_old_claimed_uploads_and_keeps_the_rest(signed_in_client, user, isolated_media):
    now = timezone.now()
    abandoned = upload_id_of(create_location(signed_in_client, 100))
    patch(signed_in_client, f"/uploads/{abandoned}", 0, b"x" * 60)
    finished_never_used = finished_upload(signed_in_client, b"y" * 50)
    claimed_long_ago = finished_upload(signed_in_client, b"z" * 50)
    services.upload_mark_claimed(upload_id=claimed_long_ago, user=user)
    claimed_just_now = finished_upload(signed_in_client, b"w" * 50)
    services.upload_mark_claimed(upload_id=claimed_just_now, user=user)
    in_progress = upload_id_of(create_location(signed_in_client, 100))
    patch(signed_in_client, f"/uploads/{in_progress}", 0, b"v" * 10)

    Upload.objects.filter(pk__in=[abandoned, finished_never_used]).update(expires_at=now - timedelta(minutes=1))
    Upload.objects.filter(pk=claimed_long_ago).update(
        claimed_at=now - timedelta(seconds=settings.UPLOAD_CLAIMED_RETENTION_SECONDS + 60)
    )
    assert chunk_folder(isolated_media, abandoned).exists()

    purged = purge_expired_uploads.delay().get()

    assert purged == 3
    assert set(Upload.objects.values_list("pk", flat=True)) == {
        Upload.objects.get(pk=claimed_just_now).pk,
        Upload.objects.get(pk=in_progress).pk,
    }
    for gone in (abandoned, finished_never_used, claimed_long_ago):
        assert not chunk_folder(isolated_media, gone).exists()
    assert [p.name for p in chunk_folder(isolated_media, in_progress).iterdir()] == ["000000000000"]
    assert purge_expired_uploads.delay().get() == 0


def test_purge_also_removes_leftover_objects_no_offset_points_at(signed_in_client, isolated_media):
    from django.core.files.base import ContentFile

    upload_id = upload_id_of(create_location(signed_in_client, 100))
    originals_storage().save(f"uploads/{upload_id}/000000000000", ContentFile(b"from a request that died"))
    Upload.objects.filter(pk=upload_id).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert services.uploads_purge_expired() == 1
    assert not chunk_folder(isolated_media, upload_id).exists()


def test_purge_task_is_scheduled_hourly_on_the_default_queue():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == purge_expired_uploads.name)
    from config.celery import app

    assert entry["schedule"] == 3600
    route = app.amqp.router.route({}, purge_expired_uploads.name)
    assert route["queue"].name == "default"


class RacingStream:
    """A request body that, while it is still being read, lets another PATCH finish first."""

    def __init__(self, data: bytes, before_first_read):
        self.data, self.before_first_read, self.position = data, before_first_read, 0

    def read(self, size: int) -> bytes:
        if self.before_first_read:
            self.before_first_read()
            self.before_first_read = None
        piece = self.data[self.position : self.position + size]
        self.position += len(piece)
        return piece


def test_the_slower_of_two_patches_at_one_offset_gets_409_and_nothing_is_corrupted(signed_in_client, user):
    location = create_location(signed_in_client, 20)
    upload_id = upload_id_of(location)

    def other_request_wins():
        assert patch(signed_in_client, location, 0, b"A" * 10).status_code == 204

    with pytest.raises(UploadOffsetMismatch):
        services.upload_append(
            upload_id=upload_id, user=user, offset=0, stream=RacingStream(b"B" * 10, other_request_wins), length=10
        )

    assert head(signed_in_client, location)["Upload-Offset"] == "10"
    assert patch(signed_in_client, location, 10, b"C" * 10).status_code == 204
    with services.upload_open_completed(upload_id=upload_id, user=user) as local:
        assert local.read() == b"A" * 10 + b"C" * 10
