"""Redis round trips per page (production config): the page budgets carry the session and the person's
entries (and a first page its Following timeline), so a warm signed-in feed page costs three trips,
and a hostile session cookie gets nothing read for it."""

import pytest
from django.conf import settings
from django.test import Client
from redis.connection import AbstractConnection

from atelier.accounts.sessions import session_cache_key
from atelier.social.models import Follow

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs the Redis of the production-config run"),
]


@pytest.fixture
def round_trips(monkeypatch):
    """Every packet of commands sent to Redis (a pipeline is one), with the commands in it."""
    sent = []
    send = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        sent.append(command)
        return send(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    return sent


@pytest.fixture
def reader(user, make_user, make_published_post):
    for index in range(4):
        artist = make_user(f"painter{index}")
        Follow.objects.create(follower=user, followee=artist)
        for number in range(3):
            make_published_post(artist, hours_ago=index + number + 0.5)
    make_published_post(make_user("elsewhere"), hours_ago=0.2)
    client = Client()
    client.force_login(user)
    return client


def trips_of_a_warm_page(client, path, round_trips) -> int:
    for _ in range(2):  # the first fills the caches, the timeline and the process's copies
        assert client.get(path).status_code == 200
    round_trips.clear()
    response = client.get(path)
    assert response.status_code == 200 and response.content.count(b'<li class="post-card') >= 3
    return len(round_trips)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # page budget + session | account budget + person, follows, hidden, bookmarks, settings | cards
        ("/feed/discover/", 3),
        # ... and the first page of the Following timeline with the account's budget
        ("/feed/following/", 3),
        ("/feed/home/", 3),
        ("/", 3),  # opens Home
    ],
)
def test_a_warm_signed_in_feed_page_costs_three_round_trips(reader, round_trips, path, expected):
    assert trips_of_a_warm_page(reader, path, round_trips) == expected


def test_the_timeline_is_read_with_the_account_budget(reader, round_trips):
    trips_of_a_warm_page(reader, "/feed/following/", round_trips)
    second = b"".join(round_trips[1]) if isinstance(round_trips[1], list) else round_trips[1]
    assert b"INCR" in second and b"ZREVRANGEBYSCORE" in second


def test_a_later_page_reads_its_timeline_itself_and_a_tampered_cursor_reads_none(reader, round_trips):
    trips_of_a_warm_page(reader, "/feed/following/", round_trips)
    round_trips.clear()
    response = reader.get("/feed/following/", {"cursor": "tampered"})
    assert response.status_code == 400
    sent = b"".join(b"".join(trip) if isinstance(trip, list) else trip for trip in round_trips)
    assert b"ZREVRANGEBYSCORE" not in sent and len(round_trips) == 2


def test_a_visitors_discover_page_costs_two(make_user, make_published_post, round_trips):
    for index in range(3):
        make_published_post(make_user(f"painter{index}"), hours_ago=index + 1)
    assert trips_of_a_warm_page(Client(), "/feed/discover/", round_trips) == 2  # page budget | cards


def test_the_session_is_read_with_the_page_budget(reader, round_trips):
    reader.get("/jobs/")
    round_trips.clear()
    response = reader.get("/jobs/")
    assert response.status_code == 200 and response.wsgi_request.user.is_authenticated
    session_key = reader.cookies[settings.SESSION_COOKIE_NAME].value
    first = round_trips[0]
    first = b"".join(first) if isinstance(first, list) else first
    assert b"INCR" in first and session_key.encode() in first


@pytest.mark.parametrize(
    "cookie",
    ["", "short", "x" * 65, "abc/../../etc", "ab cd efgh ij", "ÿÿÿÿÿÿÿÿÿÿ", "a\x00bcdefghij"],
)
def test_a_hostile_session_cookie_asks_for_nothing_and_the_page_still_answers(cookie, round_trips):
    assert session_cache_key(cookie) is None
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = client.get("/jobs/")
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated


def test_signing_out_and_in_again_still_works_with_prefetched_sessions(reader, user):
    from tests.conftest import TEST_PASSWORD

    assert reader.get("/feed/following/").status_code == 200
    reader.post("/accounts/logout/")
    assert reader.get("/feed/following/").status_code == 302  # signed out: the old session is gone
    assert reader.post("/accounts/login/", {"identifier": user.handle, "password": TEST_PASSWORD}).status_code == 302
    response = reader.get("/feed/following/")
    assert response.status_code == 200 and response.wsgi_request.user.pk == user.pk
