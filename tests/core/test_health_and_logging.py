"""/healthz reports real reachability; every request leaves one JSON log line with an id the client sees."""

import io
import json
import logging
import tempfile

import pytest
from django.conf import settings
from django.test import override_settings

from atelier.core.client_address import client_ip
from atelier.core.log_format import JsonFormatter
from config.celery import app as celery_app

UNREACHABLE_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture
def request_log():
    """The request logger, formatted exactly as in production, written to a buffer; returns parsed lines."""
    logger = logging.getLogger("atelier.request")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def lines() -> list[dict]:
        raw = buffer.getvalue().splitlines()
        return [json.loads(line) for line in raw]

    yield lines
    logger.removeHandler(handler)
    logger.setLevel(previous_level)


@pytest.fixture
def filesystem_broker():
    """Point the Celery app at a filesystem broker (the embedded default) with the given folder."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options

    def use(folder: str) -> None:
        conf.broker_url = "filesystem://"
        conf.broker_transport_options = {
            "data_folder_in": folder,
            "data_folder_out": folder,
            "control_folder": folder,
            "store_processed": False,
        }

    yield use
    conf.broker_url, conf.broker_transport_options = saved


# --- /healthz


@pytest.mark.django_db
def test_healthz_reports_database_cache_and_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    report = response.json()
    assert report["ok"] is True
    assert set(report["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in report["checks"].values())
    expected_database = "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
    assert report["checks"]["database"]["detail"] == expected_database
    expected_cache = "PooledRedisCache" if settings.REDIS_URL else "LocMemCache"
    assert report["checks"]["cache"]["detail"] == expected_cache
    expected_broker = "redis" if settings.REDIS_URL else "memory"
    assert report["checks"]["broker"]["detail"] == expected_broker
    assert all(isinstance(check["ms"], float) for check in report["checks"].values())


@pytest.mark.django_db
def test_healthz_is_never_cached(client):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_is_503_when_the_cache_is_unreachable(client):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        response = client.get("/healthz")

    assert response.status_code == 503
    report = response.json()
    assert report["ok"] is False
    assert report["checks"]["cache"]["ok"] is False
    assert "ConnectionError" in report["checks"]["cache"]["detail"]
    assert report["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_folder_is_missing(client, filesystem_broker, tmp_path):
    filesystem_broker(str(tmp_path / "gone" / "queue"))

    response = client.get("/healthz")

    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False
    assert "not writable" in broker["detail"]


@pytest.mark.django_db
def test_healthz_accepts_a_writable_broker_folder(client, filesystem_broker):
    with tempfile.TemporaryDirectory() as folder:
        filesystem_broker(folder)
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["detail"] == "filesystem"


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client):
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_url = saved

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


# --- Request logging


@pytest.mark.django_db
def test_each_request_logs_one_json_line(client, request_log):
    response = client.get("/accounts/login/")

    (line,) = request_log()
    assert line["logger"] == "atelier.request"
    assert line["level"] == "INFO"
    assert line["message"] == "request"
    assert line["method"] == "GET"
    assert line["path"] == "/accounts/login/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] is None
    assert line["ip"] == "127.0.0.1"


@pytest.mark.django_db
def test_log_line_carries_status_and_user_of_the_request(client, user, request_log):
    client.force_login(user)

    client.get("/no-such-page/")
    client.post("/healthz")

    not_found, not_allowed = request_log()
    assert (not_found["status"], not_found["user_id"]) == (404, user.pk)
    assert (not_allowed["method"], not_allowed["status"]) == ("POST", 405)
    assert not_found["request_id"] != not_allowed["request_id"]


@pytest.mark.django_db
def test_response_gets_a_fresh_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert len(first) == 32
    int(first, 16)
    assert first != second


@pytest.mark.django_db
def test_a_safe_incoming_request_id_is_reused(client, request_log):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.9c_21-x"})

    assert response["X-Request-ID"] == "lb-7f3a.9c_21-x"
    assert request_log()[0]["request_id"] == "lb-7f3a.9c_21-x"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 65,
        "x" * 5000,
        "abcdefgh\nfake log line",
        "abcdefgh\n",
        "abcdefgh\r\nSet-Cookie: session=stolen",
        'abcdefgh" "level": "ERROR',
        "short",
        "",
        "spaces are not allowed",
    ],
)
def test_a_hostile_incoming_request_id_is_replaced(client, request_log, hostile):
    response = client.get("/healthz", headers={"X-Request-ID": hostile})

    request_id = response["X-Request-ID"]
    assert request_id != hostile
    assert len(request_id) == 32
    assert request_id.isalnum()
    assert request_log()[0]["request_id"] == request_id


@pytest.mark.django_db
def test_the_request_id_is_on_the_request_for_views(rf):
    from atelier.core.request_logging import RequestLoggingMiddleware

    seen = {}

    def view(request):
        from django.http import HttpResponse

        seen["id"] = request.request_id
        return HttpResponse("ok")

    response = RequestLoggingMiddleware(view)(rf.get("/"))

    assert response["X-Request-ID"] == seen["id"]


def test_json_formatter_writes_one_line_even_for_multiline_messages():
    record = logging.makeLogRecord(
        {"name": "atelier.request", "levelname": "INFO", "msg": "two\nlines", "request_id": "abc"}
    )

    output = JsonFormatter().format(record)

    assert "\n" not in output
    payload = json.loads(output)
    assert payload["message"] == "two\nlines"
    assert payload["request_id"] == "abc"


# --- Client address


def test_client_address_ignores_forwarded_for_without_trusted_proxies(rf):
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")

    with override_settings(TRUSTED_PROXY_COUNT=0):
        assert client_ip(request) == "203.0.113.9"


def test_client_address_takes_the_entry_added_by_the_one_trusted_proxy(rf):
    # The client spoofed "1.2.3.4"; the proxy appended the real address it saw.
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")

    with override_settings(TRUSTED_PROXY_COUNT=1):
        assert client_ip(request) == "198.51.100.7"


def test_client_address_with_two_trusted_proxies(rf):
    request = rf.get("/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7, 10.0.0.2")

    with override_settings(TRUSTED_PROXY_COUNT=2):
        assert client_ip(request) == "198.51.100.7"


def test_client_address_falls_back_when_the_header_is_short_or_missing(rf):
    with override_settings(TRUSTED_PROXY_COUNT=2):
        assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="198.51.100.7")) == "10.0.0.3"
        assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.3")) == "10.0.0.3"


def test_client_address_without_remote_addr(rf):
    request = rf.get("/")
    del request.META["REMOTE_ADDR"]

    assert client_ip(request) == "unknown"


@pytest.mark.django_db
def test_request_log_uses_the_trusted_client_address(client, request_log):
    with override_settings(TRUSTED_PROXY_COUNT=0):
        client.get("/healthz", headers={"X-Forwarded-For": "1.2.3.4"})
    with override_settings(TRUSTED_PROXY_COUNT=1):
        client.get("/healthz", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7"})

    spoofed, proxied = request_log()
    assert spoofed["ip"] == "127.0.0.1"
    assert proxied["ip"] == "198.51.100.7"
