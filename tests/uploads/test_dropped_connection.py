"""Over a real socket: a client that drops mid-chunk keeps what it sent and resumes from there."""

import http.client
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from atelier.uploads.services import upload_open_completed
from tests.uploads.conftest import create_location, random_bytes, sha256, upload_id_of

KB = 1024
CSRF_SECRET = "s3cretCsrfValue0123456789abcdefX"  # 32 characters, the form Django keeps in the cookie


@pytest.fixture
def session(transactional_db, make_user, live_server):
    """A signed-in person's cookies and headers for raw requests to the live server."""
    user = make_user("remote")
    client = Client()
    client.force_login(user)
    cookie = (
        f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; csrftoken={CSRF_SECRET}"
    )
    address = urlsplit(live_server.url)
    return {
        "user": user,
        "client": client,
        "host": address.hostname,
        "port": address.port,
        "headers": {"Cookie": cookie, "X-CSRFToken": CSRF_SECRET, "Tus-Resumable": "1.0.0"},
    }


def request(session, method: str, path: str, body: bytes = b"", **headers) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(session["host"], session["port"], timeout=10)
    conn.request(method, path, body=body, headers={**session["headers"], **headers})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def offset_of(session, location: str) -> int:
    response = request(session, "HEAD", location)
    assert response.status == 200
    return int(response.getheader("Upload-Offset"))


def wait_for_offset(session, location: str, expected: int, seconds: float = 5.0) -> int:
    """The server notices the closed socket a moment after the client leaves; poll briefly."""
    deadline = time.monotonic() + seconds
    while (offset := offset_of(session, location)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return offset


def test_dropped_connection_keeps_the_bytes_that_arrived_and_resumes(session):
    data = random_bytes(1024 * KB)
    location = create_location(session["client"], len(data), filename="dune.png")
    sent = 300 * KB

    # Announce the whole 1 MB chunk, send 300 KB of it, then hang up.
    head_lines = [
        f"PATCH {location} HTTP/1.1",
        f"Host: {session['host']}:{session['port']}",
        "Content-Type: application/offset+octet-stream",
        f"Content-Length: {len(data)}",
        "Upload-Offset: 0",
        *(f"{name}: {value}" for name, value in session["headers"].items()),
    ]
    raw = socket.create_connection((session["host"], session["port"]), timeout=10)
    raw.sendall(("\r\n".join(head_lines) + "\r\n\r\n").encode() + data[:sent])
    raw.close()

    assert wait_for_offset(session, location, sent) == sent

    resumed = request(
        session,
        "PATCH",
        location,
        data[sent:],
        **{"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(sent)},
    )
    assert resumed.status == 204
    assert resumed.getheader("Upload-Offset") == str(len(data))
    with upload_open_completed(upload_id=upload_id_of(location), user=session["user"]) as local:
        assert sha256(local.read()) == sha256(data)


def test_concurrent_patches_at_one_offset_store_exactly_one(session):
    """Several requests race at offset 0: the row lock lets one in; the rest get 409, no bytes mixed."""
    location = create_location(session["client"], 200 * KB)
    bodies = [bytes([letter]) * (100 * KB) for letter in b"ABCDEF"]
    statuses: list[int] = []
    start = threading.Barrier(len(bodies))

    def send(body: bytes):
        start.wait()
        response = request(
            session,
            "PATCH",
            location,
            body,
            **{"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
        )
        statuses.append(response.status)

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [204] + [409] * (len(bodies) - 1)
    assert offset_of(session, location) == 100 * KB
    winner = request(
        session,
        "PATCH",
        location,
        b"Z" * (100 * KB),
        **{"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(100 * KB)},
    )
    assert winner.status == 204
    connection.close()  # fresh connection so the read below sees the server threads' commits
    with upload_open_completed(upload_id=upload_id_of(location), user=session["user"]) as local:
        first, rest = local.read(100 * KB), local.read()
    assert len(set(first)) == 1 and first[:1] in b"ABCDEF"
    assert rest == b"Z" * (100 * KB)
