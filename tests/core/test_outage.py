"""A backing service down answers 503 with Retry-After (core.outage), never a 500.

The cache here is a real Redis client pointed at a port nothing listens on, and the database
error is a real refused connection: no stand-ins for the failure itself.
"""

import socket

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.utils import ConnectionHandler, OperationalError
from django.test import RequestFactory

from atelier.core.outage import is_backend_outage, server_error


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # released on close: nothing listens there


def stop_redis(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "atelier.core.redis_cache.PooledRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/3",
        }
    }


@pytest.fixture
def redis_down(settings):
    stop_redis(settings)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/feed/discover/", "/login/", "/search/?q=harbour"])
def test_pages_answer_503_with_retry_after_while_redis_is_down(client, redis_down, path):
    client.raise_request_exception = False
    response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"
    assert b"back in a moment" in response.content


@pytest.mark.django_db
def test_signed_in_actions_answer_503_too_and_a_tus_client_is_told_to_resume(client, user, settings):
    client.raise_request_exception = False
    client.force_login(user)
    stop_redis(settings)
    response = client.post("/uploads/", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10"})
    assert response.status_code == 503
    assert response["Tus-Resumable"] == "1.0.0"


@pytest.mark.django_db
def test_a_refused_database_connection_is_an_outage():
    handler = ConnectionHandler(
        {"default": {**connection.settings_dict, "ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1",
                     "PORT": closed_port(), "NAME": "atelier", "USER": "postgres", "OPTIONS": {}}}
    )  # fmt: skip
    with pytest.raises(OperationalError) as refused:
        handler["default"].ensure_connection()
    assert is_backend_outage(refused.value)


@pytest.mark.django_db
def test_a_failing_query_and_other_errors_stay_a_500():
    with pytest.raises(DatabaseError) as failed, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_here")  # SQLite: an OperationalError; PostgreSQL: not
    assert not is_backend_outage(failed.value)
    try:
        raise ValueError("a bug, not an outage")
    except ValueError:
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert not response.has_header("Retry-After")
