"""Artist result pages (ids first, then the page's profiles) and hostile queries on both kinds of
search: short, punctuation only, script, as long as allowed — each answers a page, escaped, with no
more queries than an ordinary search."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atelier.accounts.models import User
from atelier.search.selectors import MAX_QUERY_LENGTH, PAGE_SIZE, search_artists

pytestmark = pytest.mark.django_db
URL = reverse("search:search")


def _painters(make_user, count: int, word: str = "heron"):
    """`count` people with `word` in their headline, joined a day apart (the last one newest)."""
    people = []
    for number in range(count):
        person = make_user(f"{word}{number}")
        person.profile.headline = f"{word} painter"
        person.profile.save()
        User.objects.filter(pk=person.pk).update(date_joined=person.date_joined + timedelta(days=number))
        people.append(person)
    return people


def test_artist_pages_follow_one_another_newest_first(make_user):
    people = _painters(make_user, PAGE_SIZE + 6)
    first = search_artists(viewer=None, query="heron")
    second = search_artists(viewer=None, query="heron", page=2)
    assert first.has_next and not second.has_next
    assert len(first.results) == PAGE_SIZE and len(second.results) == 6
    handles = [profile.user.handle for profile in first.results + second.results]
    # Every match ranks alike here, so the order is the newest person first, across both pages.
    assert handles == [person.handle for person in reversed(people)]


def test_an_artist_page_loads_people_and_images_with_the_profiles(make_user):
    _painters(make_user, 3)
    page = search_artists(viewer=None, query="heron")
    with CaptureQueriesContext(connection) as queries:
        for profile in page.results:
            assert profile.user.handle.startswith("heron")
            list(profile.images.all())
    assert len(queries) == 0


def test_deactivated_people_leave_the_ranking_not_just_the_page(make_user):
    people = _painters(make_user, PAGE_SIZE + 1)
    User.objects.filter(pk=people[0].pk).update(is_active=False)
    page = search_artists(viewer=None, query="heron")
    assert len(page.results) == PAGE_SIZE and not page.has_next
    assert people[0].handle not in {profile.user.handle for profile in page.results}


HOSTILE = [
    "a",
    "é",
    "7",
    "%",
    "!!!",
    "?!.,;:-_()[]{}",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "heron " * (MAX_QUERY_LENGTH // 6),
    "h" * MAX_QUERY_LENGTH,
]


def _queries(client, params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200, params
    return len(queries), response.content.decode()


@pytest.mark.parametrize("kind", ["posts", "artists"])
@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_answer_escaped_pages_with_the_usual_queries(
    signed_in_client, make_user, make_published_post, kind, query
):
    painter = _painters(make_user, 1)[0]
    make_published_post(painter, title="Heron at dawn")
    _queries(signed_in_client, {"q": "heron", "type": kind})  # per-person sets are cached after one page
    usual, _ = _queries(signed_in_client, {"q": "heron", "type": kind})
    count, body = _queries(signed_in_client, {"q": query, "type": kind})
    assert count <= usual
    assert "<script>alert(1)</script>" not in body
    assert "<img src=x" not in body


@pytest.mark.parametrize("kind", ["posts", "artists"])
def test_one_letter_finds_what_contains_it_or_nothing_but_never_fails(client, make_user, make_published_post, kind):
    make_published_post(_painters(make_user, 1)[0], title="Heron at dawn")
    for query in ("h", "x", "ü", "#"):
        assert client.get(URL, {"q": query, "type": kind}).status_code == 200
