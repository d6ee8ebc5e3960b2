"""Redis round trips per page (production config), each one explicit at its call site: the address's
budget, the session, the account's budget, the person's sets (feeds.viewer, one get_many), the
Following timeline where the page reads one, and the cards."""

import pytest
from django.conf import settings
from django.test import Client
from redis.connection import AbstractConnection

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
        # address budget | session | account budget | person's four sets | cards
        ("/feed/discover/", 5),
        # ... and the Following timeline (one pipeline of three reads)
        ("/feed/following/", 6),
        ("/feed/home/", 6),
        ("/", 6),  # opens Home
    ],
)
def test_a_warm_signed_in_feed_page_costs_one_round_trip_per_explicit_read(reader, round_trips, path, expected):
    assert trips_of_a_warm_page(reader, path, round_trips) == expected


def test_the_person_s_sets_are_one_read_of_four_keys(reader, round_trips, user):
    trips_of_a_warm_page(reader, "/feed/discover/", round_trips)
    sets_read = [b"".join(sent) if isinstance(sent, list) else sent for sent in round_trips]
    mgets = [sent for sent in sets_read if b"MGET" in sent and f"social:followed:{user.pk}".encode() in sent]
    assert len(mgets) == 1
    for key in (f"social:hidden:{user.pk}", f"albums:bookmarked:{user.pk}", f"feeds:preferences:{user.pk}"):
        assert key.encode() in mgets[0]


def test_a_visitors_discover_page_costs_two(make_user, make_published_post, round_trips):
    for index in range(3):
        make_published_post(make_user(f"painter{index}"), hours_ago=index + 1)
    assert trips_of_a_warm_page(Client(), "/feed/discover/", round_trips) == 2  # address budget | cards


@pytest.mark.parametrize(
    "cookie",
    ["", "short", "x" * 65, "abc/../../etc", "ab cd efgh ij", "ÿÿÿÿÿÿÿÿÿÿ", "a\x00bcdefghij"],
)
def test_a_hostile_session_cookie_gets_a_visitor_s_page(cookie):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = client.get("/jobs/")
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated


def test_signing_out_and_in_again_still_works(reader, user):
    from tests.conftest import TEST_PASSWORD

    assert reader.get("/feed/following/").status_code == 200
    reader.post("/accounts/logout/")
    assert reader.get("/feed/following/").status_code == 302  # signed out: the old session is gone
    assert reader.post("/accounts/login/", {"identifier": user.handle, "password": TEST_PASSWORD}).status_code == 302
    response = reader.get("/feed/following/")
    assert response.status_code == 200 and response.wsgi_request.user.pk == user.pk
