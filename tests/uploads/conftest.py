"""Speaking tus to the real views through Django's test client, plus an S3 stand-in (moto) for storage."""

import base64
import hashlib
import os
import socket

import boto3
import pytest
from django.urls import reverse
from moto.server import ThreadedMotoServer

from config.settings.storage import build_storages

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._port}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    ).create_bucket(Bucket="atelier-uploads")
    yield endpoint
    server.stop()


@pytest.fixture
def s3_originals(s3_endpoint, settings, tmp_path):
    """The production storage settings (private originals on S3), pointed at the stand-in."""
    env = {
        "AWS_STORAGE_BUCKET_NAME": "atelier-uploads",
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    settings.STORAGES = {
        **build_storages(env=env, media_root=tmp_path, media_url="/media/"),
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    return boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
