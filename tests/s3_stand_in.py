"""A local stand-in for S3: moto's server, which speaks S3's real HTTP protocol (and enforces
object ACLs for anonymous requests), plus the production storage settings pointed at it."""

import contextlib
import socket

import boto3
from moto.server import ThreadedMotoServer

from config.settings.storage import build_storages

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": REGION}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server() -> tuple[ThreadedMotoServer, str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{server._port}"


@contextlib.contextmanager
def served(bucket: str):
    """moto's server with `bucket` made, for a module's tests (a module-scoped fixture yields from
    this); its endpoint. Stopped afterwards."""
    server, endpoint = start_server()
    client(endpoint).create_bucket(Bucket=bucket)
    try:
        yield endpoint
    finally:
        server.stop()


def client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)


def use_s3_storages(settings, *, endpoint: str, bucket: str, media_root, **extra_env) -> None:
    """Switch the test's STORAGES to what production builds from these environment variables."""
    env = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        **extra_env,
    }
    settings.STORAGES = {
        **build_storages(env=env, media_root=media_root, media_url="/media/"),
        "staticfiles": settings.STORAGES["staticfiles"],
    }
