"""Every refusal has the status the tus spec asks for and a sentence a person can act on."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from atelier.uploads.models import Upload
from tests.uploads.conftest import TUS, create, create_location, head, metadata_header, patch, upload_id_of

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def text(response) -> str:
    return response.content.decode()


# --- Who may upload


@pytest.mark.parametrize("method", ["OPTIONS", "POST"])
def test_anonymous_people_are_refused_with_a_message(client, method):
    response = client.generic(method, reverse("uploads:collection"), headers={**TUS, "Upload-Length": "10"})

    assert response.status_code == 403
    assert text(response) == "Sign in to upload files."
    assert not Upload.objects.exists()


def test_anonymous_people_cannot_touch_an_existing_upload(signed_in_client):
    location = create_location(signed_in_client, 10)
    client = Client()

    assert head(client, location).status_code == 403
    assert patch(client, location, 0, b"x").status_code == 403
    assert client.delete(location, headers=TUS).status_code == 403


def test_someone_elses_upload_is_not_found_for_every_method(signed_in_client, make_user):
    location = create_location(signed_in_client, 10)
    patch(signed_in_client, location, 0, b"12345")
    stranger = Client()
    stranger.force_login(make_user("stranger"))

    responses = [
        head(stranger, location),
        patch(stranger, location, 5, b"67890"),
        stranger.delete(location, headers=TUS),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert "does not exist" in text(responses[1])
    # Untouched for its owner.
    assert head(signed_in_client, location)["Upload-Offset"] == "5"


def test_an_unknown_upload_looks_the_same_as_someone_elses(signed_in_client):
    response = head(signed_in_client, "/uploads/00000000-0000-4000-8000-000000000000")

    assert response.status_code == 404


# --- Protocol errors


def test_missing_or_wrong_tus_version_is_412(signed_in_client):
    location = create_location(signed_in_client, 10)

    without = signed_in_client.head(location)
    wrong = patch(signed_in_client, location, 0, b"x", **{"Tus-Resumable": "0.2.2"})

    for response in (without, wrong):
        assert response.status_code == 412
        assert response["Tus-Version"] == "1.0.0"
    assert "Tus-Resumable: 1.0.0" in text(wrong)
    assert head(signed_in_client, location)["Upload-Offset"] == "0"


def test_wrong_content_type_is_415(signed_in_client):
    location = create_location(signed_in_client, 10)

    response = patch(signed_in_client, location, 0, b"0123456789", content_type="application/octet-stream")

    assert response.status_code == 415
    assert "application/offset+octet-stream" in text(response)


def test_offset_mismatch_is_409_and_says_where_to_resume(signed_in_client):
    location = create_location(signed_in_client, 10)
    patch(signed_in_client, location, 0, b"12345")

    behind = patch(signed_in_client, location, 0, b"12345")
    ahead = patch(signed_in_client, location, 8, b"ab")

    assert (behind.status_code, ahead.status_code) == (409, 409)
    assert "5 bytes have been received" in text(behind)
    assert head(signed_in_client, location)["Upload-Offset"] == "5"


def test_length_above_the_overall_limit_is_413(signed_in_client, settings):
    settings.UPLOAD_MAX_BYTES = 500 * MB

    response = create(signed_in_client, 501 * MB, filename="long.mov", filetype="video/quicktime")

    assert response.status_code == 413
    assert text(response) == "This video is 501 MB; videos can be at most 500 MB."
    assert not Upload.objects.exists()


def test_images_have_their_own_smaller_limit(signed_in_client):
    too_big = create(signed_in_client, 50 * MB + 1, filename="scan.tif", filetype="image/tiff")
    video = create(signed_in_client, 50 * MB + 1, filename="clip.mp4", filetype="video/mp4")

    assert too_big.status_code == 413
    assert text(too_big) == "This image is 50.1 MB; images can be at most 50 MB."
    assert video.status_code == 201


def test_chunk_above_the_chunk_limit_is_413(signed_in_client, settings):
    settings.UPLOAD_MAX_CHUNK_BYTES = 1000
    location = create_location(signed_in_client, 5000)

    response = patch(signed_in_client, location, 0, b"x" * 1001)

    assert response.status_code == 413
    assert "per request" in text(response)
    assert head(signed_in_client, location)["Upload-Offset"] == "0"


def test_chunk_past_the_declared_length_is_413(signed_in_client):
    location = create_location(signed_in_client, 10)

    response = patch(signed_in_client, location, 0, b"x" * 11)

    assert response.status_code == 413
    assert "declared as 10 bytes" in text(response)


def test_expired_upload_is_410(signed_in_client):
    location = create_location(signed_in_client, 10)
    Upload.objects.filter(pk=upload_id_of(location)).update(expires_at=timezone.now() - timedelta(seconds=1))

    responses = [head(signed_in_client, location), patch(signed_in_client, location, 0, b"x")]

    assert [r.status_code for r in responses] == [410, 410]
    assert "expired" in text(responses[1])


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Upload-Length": "ten"}, "whole number of bytes"),
        ({"Upload-Length": "-5"}, "whole number of bytes"),
        ({"Upload-Length": "0"}, "This file is empty."),
        ({"Upload-Defer-Length": "1"}, "Upload-Length"),
        ({"Upload-Length": "10", "Upload-Metadata": "filename not*base64"}, "not valid base64"),
        # Found by tests/fuzz/test_parsers.py: a non-ASCII character in the value was a 500.
        ({"Upload-Length": "10", "Upload-Metadata": "filename Zm9v\u00e9"}, "not valid base64"),
    ],
)
def test_malformed_creation_is_400_with_the_reason(signed_in_client, headers, message):
    response = signed_in_client.generic("POST", reverse("uploads:collection"), headers={**TUS, **headers})

    assert response.status_code == 400
    assert message in text(response)


def test_patch_without_an_offset_is_400(signed_in_client):
    location = create_location(signed_in_client, 10)

    response = signed_in_client.generic(
        "PATCH", location, b"x", content_type="application/offset+octet-stream", headers=TUS
    )

    assert response.status_code == 400
    assert "Upload-Offset header is missing" in text(response)


def test_creations_are_rate_limited_per_person(signed_in_client, make_user, settings):
    settings.UPLOAD_CREATIONS_PER_HOUR = 2
    assert create(signed_in_client, 10).status_code == 201
    assert create(signed_in_client, 10).status_code == 201

    refused = create(signed_in_client, 10)

    assert refused.status_code == 429
    assert "too many uploads" in text(refused)
    assert int(refused["Retry-After"]) > 0
    other = Client()
    other.force_login(make_user("other"))
    assert create(other, 10).status_code == 201


# --- CSRF stays on


def test_post_and_patch_without_the_csrf_token_are_403(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.cookies["csrftoken"] = "a" * 32
    with_token = {**TUS, "X-CSRFToken": "a" * 32}

    refused_create = browser.generic(
        "POST", reverse("uploads:collection"), headers={**TUS, "Upload-Length": "10", "Upload-Metadata": ""}
    )
    created = browser.generic(
        "POST",
        reverse("uploads:collection"),
        headers={**with_token, "Upload-Length": "10", "Upload-Metadata": metadata_header()},
    )
    location = created["Location"]
    refused_patch = browser.generic(
        "PATCH",
        location,
        b"0123456789",
        content_type="application/offset+octet-stream",
        headers={**TUS, "Upload-Offset": "0"},
    )
    accepted_patch = browser.generic(
        "PATCH",
        location,
        b"0123456789",
        content_type="application/offset+octet-stream",
        headers={**with_token, "Upload-Offset": "0"},
    )

    assert refused_create.status_code == 403
    assert created.status_code == 201
    assert refused_patch.status_code == 403
    assert b"Your session expired" in refused_patch.content
    assert accepted_patch.status_code == 204
    assert browser.delete(location, headers=TUS).status_code == 403
