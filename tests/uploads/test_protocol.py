"""The tus happy path through the real views: discovery, creation, chunks, status, termination."""

from pathlib import Path

import pytest
from django.urls import reverse

from atelier.media.storages import originals_storage
from atelier.uploads.models import Upload
from atelier.uploads.services import upload_open_completed
from tests.uploads.conftest import (
    TUS,
    create,
    create_location,
    head,
    patch,
    random_bytes,
    send_in_chunks,
    sha256,
    upload_id_of,
)

pytestmark = pytest.mark.django_db


def stored_chunks(media_root: Path, upload_id: str) -> list[str]:
    folder = media_root / "originals" / "uploads" / upload_id
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_options_advertises_version_extensions_and_max_size(signed_in_client, settings):
    response = signed_in_client.options(reverse("uploads:collection"))

    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "expiration", "termination"}
    assert response["Tus-Max-Size"] == str(settings.UPLOAD_MAX_BYTES)


def test_creation_returns_location_and_expiry_and_records_metadata(signed_in_client, user):
    response = create(signed_in_client, 1234, filename="Sketches/night harbour.png", filetype="image/png")

    assert response.status_code == 201
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Location"].startswith("/uploads/")
    assert response["Upload-Expires"].endswith("GMT")
    upload = Upload.objects.get(pk=upload_id_of(response["Location"]))
    assert (upload.owner, upload.length, upload.offset) == (user, 1234, 0)
    # Only the last path part is kept: a filename is never a path.
    assert (upload.filename, upload.content_type) == ("night harbour.png", "image/png")


def test_head_of_a_new_upload_reports_offset_zero_and_is_not_cached(signed_in_client):
    location = create_location(signed_in_client, 500)

    response = head(signed_in_client, location)

    assert response.status_code == 200
    assert response["Upload-Offset"] == "0"
    assert response["Upload-Length"] == "500"
    assert response["Cache-Control"] == "no-store"
    assert response["Tus-Resumable"] == "1.0.0"


def test_chunks_reassemble_byte_exactly(signed_in_client, user, isolated_media):
    data = random_bytes(300_000 + 17)
    location = create_location(signed_in_client, len(data))

    offsets = send_in_chunks(signed_in_client, location, data, chunk=100_000)

    assert offsets == [100_000, 200_000, 300_000, len(data)]
    status = head(signed_in_client, location)
    assert (status["Upload-Offset"], status["Upload-Length"]) == (str(len(data)), str(len(data)))
    upload_id = upload_id_of(location)
    # One object per PATCH in the originals storage, named by the offset it starts at.
    assert stored_chunks(isolated_media, upload_id) == ["000000000000", "000000100000", "000000200000", "000000300000"]
    assert Upload.objects.get(pk=upload_id).completed_at is not None
    with upload_open_completed(upload_id=upload_id, user=user) as local:
        assert Path(local.name).suffix == ".png"
        assert sha256(local.read()) == sha256(data)


def test_a_file_of_one_chunk_goes_in_one_request(signed_in_client, user):
    data = random_bytes(50_000)
    location = create_location(signed_in_client, len(data))

    response = patch(signed_in_client, location, 0, data)

    assert response.status_code == 204
    assert response["Upload-Offset"] == str(len(data))
    assert response["Upload-Expires"].endswith("GMT")
    with upload_open_completed(upload_id=upload_id_of(location), user=user) as local:
        assert local.read() == data


def test_empty_patch_at_the_current_offset_changes_nothing(signed_in_client):
    location = create_location(signed_in_client, 10)
    patch(signed_in_client, location, 0, b"12345")

    # tus-js-client sends the content type even for an empty body; Django's test client must be told to.
    response = patch(
        signed_in_client, location, 5, b"", **{"Content-Type": "application/offset+octet-stream", "Content-Length": "0"}
    )

    assert response.status_code == 204
    assert response["Upload-Offset"] == "5"


def test_delete_terminates_and_removes_stored_chunks(signed_in_client, isolated_media):
    location = create_location(signed_in_client, 20)
    patch(signed_in_client, location, 0, b"0123456789")
    upload_id = upload_id_of(location)
    assert stored_chunks(isolated_media, upload_id) == ["000000000000"]

    response = signed_in_client.delete(location, headers=TUS)

    assert response.status_code == 204
    assert not (isolated_media / "originals" / "uploads" / upload_id).exists()
    assert not Upload.objects.filter(pk=upload_id).exists()
    assert head(signed_in_client, location).status_code == 404


def test_a_leftover_object_at_the_current_offset_is_replaced(signed_in_client, user, isolated_media):
    """A request that died after writing its chunk but before committing leaves an object behind."""
    from django.core.files.base import ContentFile

    location = create_location(signed_in_client, 8)
    upload_id = upload_id_of(location)
    originals_storage().save(f"uploads/{upload_id}/000000000000", ContentFile(b"stale bytes"))

    assert patch(signed_in_client, location, 0, b"abcdefgh").status_code == 204

    with upload_open_completed(upload_id=upload_id, user=user) as local:
        assert local.read() == b"abcdefgh"


def test_protocol_works_against_s3_originals(signed_in_client, user, s3_originals):
    """Production keeps chunks in S3 (file_overwrite off); the same requests must work there."""
    data = random_bytes(70_000)
    location = create_location(signed_in_client, len(data), filename="clip.mp4", filetype="video/mp4")
    upload_id = upload_id_of(location)

    send_in_chunks(signed_in_client, location, data, chunk=30_000)

    keys = sorted(
        item["Key"]
        for item in s3_originals.list_objects_v2(Bucket="atelier-uploads", Prefix="originals/uploads/").get(
            "Contents", []
        )
    )
    assert keys == [f"originals/uploads/{upload_id}/{offset:012d}" for offset in (0, 30_000, 60_000)]
    with upload_open_completed(upload_id=upload_id, user=user) as local:
        assert sha256(local.read()) == sha256(data)

    assert signed_in_client.delete(location, headers=TUS).status_code == 204
    listing = s3_originals.list_objects_v2(Bucket="atelier-uploads", Prefix=f"originals/uploads/{upload_id}/")
    assert listing.get("KeyCount", 0) == 0
