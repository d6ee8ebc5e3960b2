"""Speaking tus to the real views through Django's test client, plus an S3 stand-in (moto) for storage."""

import base64
import hashlib
import os

import pytest
from django.urls import reverse

from tests import s3_stand_in

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK_TYPE = "application/offset+octet-stream"


def metadata_header(filename: str = "harbour.png", filetype: str = "image/png") -> str:
    def encode(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    return f"filename {encode(filename)},filetype {encode(filetype)}"


def create(client, length: int, *, filename: str = "harbour.png", filetype: str = "image/png", **headers):
    return client.generic(
        "POST",
        reverse("uploads:collection"),
        headers={
            **TUS,
            "Upload-Length": str(length),
            "Upload-Metadata": metadata_header(filename, filetype),
            **headers,
        },
    )


def create_location(client, length: int, **kwargs) -> str:
    response = create(client, length, **kwargs)
    assert response.status_code == 201, response.content
    return response["Location"]


def patch(client, location: str, offset: int, data: bytes, *, content_type: str = CHUNK_TYPE, **headers):
    return client.generic(
        "PATCH", location, data, content_type=content_type, headers={**TUS, "Upload-Offset": str(offset), **headers}
    )


def head(client, location: str, **headers):
    return client.head(location, headers={**TUS, **headers})


def upload_id_of(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def random_bytes(size: int) -> bytes:
    return os.urandom(size)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def send_in_chunks(client, location: str, data: bytes, chunk: int) -> list[int]:
    """PATCH `data` in pieces of `chunk` bytes; return the Upload-Offset after each."""
    offsets = []
    for start in range(0, len(data), chunk):
        response = patch(client, location, start, data[start : start + chunk])
        assert response.status_code == 204, response.content
        offsets.append(int(response["Upload-Offset"]))
    return offsets


@pytest.fixture(scope="module")
def s3_endpoint():
    server, endpoint = s3_stand_in.start_server()
    s3_stand_in.client(endpoint).create_bucket(Bucket="atelier-uploads")
    yield endpoint
    server.stop()


@pytest.fixture
def s3_originals(s3_endpoint, settings, tmp_path):
    """The production storage settings (private originals on S3), pointed at the stand-in."""
    s3_stand_in.use_s3_storages(settings, endpoint=s3_endpoint, bucket="atelier-uploads", media_root=tmp_path)
    return s3_stand_in.client(s3_endpoint)
