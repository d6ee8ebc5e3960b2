"""Two real app-server instances (gunicorn, separate processes) behind the real nginx edge, sharing
PostgreSQL, Redis and the SeaweedFS object store, as `WEB_INSTANCES=2` runs them in production.

They need what scale-out needs: PostgreSQL (two processes on one SQLite file is not the production
shape) and Redis (with the local-memory cache each process would keep its own budgets and sessions
cache, which is exactly what these tests rule out). Without them the tests skip; without nginx or
SeaweedFS they skip locally and fail under CI=true, as tests/edge does.
"""

import http.client
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from atelier.protection.shield import edge
from deploy.run_stack import app_addresses
from deploy.stack import ROOT, Edge, stop_process, wait_for_port
from tests.edge.conftest import NGINX, _require, start_object_store, use_object_store

BASE_PORT = int(os.environ.get("SCALE_OUT_BASE_PORT", "8340"))
UPLOADS_PER_HOUR = 4


@dataclass
class Instance:
    address: str
    process: subprocess.Popen

    def request(self, method: str, path: str, *, headers: dict | None = None, body: bytes = b"") -> "Answer":
        host, port = self.address.split(":")
        return send(host, int(port), method, path, headers=headers, body=body)


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes
    cookies: dict = field(default_factory=dict)


def send(host: str, port: int, method: str, path: str, *, headers: dict | None = None, body: bytes = b"") -> Answer:
    connection_ = http.client.HTTPConnection(host, port, timeout=30)
    connection_.request(
        method, path, body=body, headers={"User-Agent": "Mozilla/5.0 scale-out test", **(headers or {})}
    )
    response = connection_.getresponse()
    data = response.read()
    cookies = {}
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            cookies[key.strip()] = rest.split(";", 1)[0]
    answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data, cookies)
    connection_.close()
    return answer


@pytest.fixture(scope="session")
def scale_out_store(tmp_path_factory):
    store = start_object_store(tmp_path_factory.mktemp("scale-out-seaweedfs"))
    yield store
    store.stop()


@pytest.fixture(scope="session")
def instances(request, django_db_setup, tmp_path_factory):
    """Two gunicorn instances on the test database, started once for the session."""
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("Scale-out runs on PostgreSQL and Redis (DATABASE_URL, REDIS_URL); this run has neither.")
    _require(NGINX, "nginx (apt-get install nginx)")
    scale_out_store = request.getfixturevalue("scale_out_store")
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.stack.instance_settings",
        "SCALE_OUT_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "UPLOAD_CREATIONS_PER_HOUR": str(UPLOADS_PER_HOUR),
        "AWS_STORAGE_BUCKET_NAME": scale_out_store.public_bucket,
        "AWS_PRIVATE_BUCKET_NAME": scale_out_store.private_bucket,
        "AWS_S3_ENDPOINT_URL": scale_out_store.endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": scale_out_store.access_key,
        "AWS_SECRET_ACCESS_KEY": scale_out_store.secret_key,
    }
    addresses = app_addresses({"EDGE_APP_ADDRESS": f"127.0.0.1:{BASE_PORT}", "WEB_INSTANCES": "2"})
    log = (tmp_path_factory.mktemp("scale-out") / "gunicorn.log").open("ab")
    started = []
    for address in addresses:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", address, "--workers", "1",
                   "--worker-class", "gthread", "--threads", "4"]  # fmt: skip
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True)  # noqa: S603
        started.append(Instance(address, process))
    try:
        for instance in started:
            host, port = instance.address.split(":")
            wait_for_port(host, int(port), process=instance.process, timeout=60)
        yield started
    finally:
        for instance in started:
            stop_process(instance.process, grace=10)


@pytest.fixture
def scale_out(instances, settings, tmp_path, scale_out_store, transactional_db):
    """The instances, nginx in front of both, and this test process on the same object store."""
    _require(NGINX, "nginx (apt-get install nginx)")
    use_object_store(settings, scale_out_store, tmp_path / "media")
    listen = f"127.0.0.1:{BASE_PORT + 2}"
    settings.EDGE_LISTEN = listen
    settings.EDGE_APP_ADDRESSES = [instance.address for instance in instances]
    settings.EDGE_CONFIG_DIR = str(tmp_path / "edge")
    settings.EDGE_ACCESS_LOG = "off"
    if os.geteuid() == 0:
        settings.EDGE_USER = "root"
    Path(django_settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    nginx = Edge(config=edge.edge_config_write(edge_dir=tmp_path / "edge"), nginx=NGINX)
    nginx.start(listen)
    yield {"instances": instances, "edge": listen, "config": tmp_path / "edge" / "atelier.conf"}
    nginx.stop()
