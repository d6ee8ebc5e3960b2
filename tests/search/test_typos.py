"""Typos are corrected against the words of public posts (search_word, migration 0003), and no input
breaks search on either database."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from atelier.posts.models import Post, PostState
from atelier.search import vocabulary
from atelier.search.selectors import MAX_QUERY_LENGTH, search_posts

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the typo vocabulary is PostgreSQL's")
URL = reverse("search:search")


def _titles(page):
    return [post.title for post in page.results]


def _words() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM search_word")
        return {row[0] for row in cursor.fetchall()}


@postgres_only
def test_a_typo_among_known_words_narrows_like_the_right_word(make_user, make_published_post):
    author = make_user("painter")
    make_published_post(author, title="Stormy lighthouse")
    make_published_post(author, title="Quiet lighthouse")
    make_published_post(author, title="Stormy harbour")
    assert _titles(search_posts(viewer=None, query="stormy lighthuose")) == ["Stormy lighthouse"]
    assert set(_titles(search_posts(viewer=None, query="lighthuose"))) == {"Stormy lighthouse", "Quiet lighthouse"}


@postgres_only
def test_only_unknown_words_are_corrected(make_user, make_published_post):
    author = make_user("painter")
    make_published_post(author, title="Lighthouse at dusk")
    make_published_post(author, title="Lighthouses of the north")
    assert vocabulary.correct("lighthouse") is None
    correction = vocabulary.correct("lighthuose dusk")
    assert correction is not None
    assert ("dusk",) in correction.groups
    assert any("lighthouse" in group and "dusk" not in group for group in correction.groups)
    # A word no post uses and none resembles is left out rather than emptying the search.
    assert vocabulary.correct("qxzvw") is None
    assert _titles(search_posts(viewer=None, query="dusk qxzvw")) == []  # the exact search still reads it
    assert _titles(search_posts(viewer=None, query="lighthuose qxzvw dusk")) == ["Lighthouse at dusk"]


@postgres_only
def test_a_common_word_is_not_buried_in_look_alikes(make_user, make_published_post):
    author = make_user("painter")
    make_published_post(author, title="Dragon")
    make_published_post(author, title="Dragonfly")
    assert _titles(search_posts(viewer=None, query="dragon")) == ["Dragon"]


@postgres_only
def test_words_of_drafts_enter_only_once_the_post_is_public(make_user):
    author = make_user("painter")
    post = Post.objects.create(author=author, title="Zanzibarite secret", state=PostState.DRAFT)
    assert "zanzibarite" not in _words()
    assert vocabulary.correct("zanzibarit") is None
    Post.objects.filter(pk=post.pk).update(state=PostState.PUBLIC)
    assert {"zanzibarite", "secret"} <= _words()
    post.refresh_from_db()
    post.description = "Tidepool glimmers"
    post.save(update_fields=["description"])
    assert {"tidepool", "glimmers"} <= _words()


@postgres_only
def test_numbers_and_short_words_are_not_in_the_vocabulary(make_user, make_published_post):
    make_published_post(make_user("painter"), title="Harbour 1234 at 5 am")
    words = _words()
    assert "harbour" in words
    assert not {"1234", "5", "am", "at"} & words


@postgres_only
def test_syntax_queries_are_never_corrected(make_user, make_published_post):
    author = make_user("painter")
    make_published_post(author, title="Lighthouse at dusk")
    for query in ('"lighthuose"', "lighthuose -dusk", "lighthuose or harbour"):
        assert _titles(search_posts(viewer=None, query=query)) == [], query


HOSTILE = [
    "lighthuose " * 18,  # long, every word a typo (under MAX_QUERY_LENGTH)
    "a" * MAX_QUERY_LENGTH,
    "!!! ??? ... ---",
    "'; DROP TABLE search_word; --",
    "' OR 1=1 --",
    "lighthouse:* & !dusk | (x)",
    "SELECT * FROM posts_post",
    "ñandú café naïve",
    "灯台 の 絵",
    "🎨🖌️ lighthuose",
    "مرحبا lighthouse",
    "e\u0301\u0301\u0301\u0301 z\u200bw\u200dj",
    "12345 67890",
    "\\x00 \\\\ %_",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_answer_a_page(client, make_user, make_published_post, query):
    make_published_post(make_user("painter"), title="Lighthouse at dusk")
    response = client.get(URL, {"q": query, "type": "posts"})
    assert response.status_code == 200
    assert client.get(URL, {"q": query, "type": "artists"}).status_code == 200
    assert "search_word" not in response.content.decode() or "DROP TABLE" in query


@postgres_only
@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_leave_the_vocabulary_alone(make_user, make_published_post, query):
    make_published_post(make_user("painter"), title="Lighthouse at dusk")
    before = _words()
    search_posts(viewer=None, query=query)
    correction = vocabulary.correct(query)
    assert _words() == before
    if correction is not None:
        assert len(correction.groups) <= vocabulary.MAX_WORDS
        assert all(len(group) <= vocabulary.CORRECTIONS_PER_WORD + 1 for group in correction.groups)


@postgres_only
@pytest.mark.django_db(transaction=True)  # DDL cannot run while the post's foreign-key checks are pending
def test_the_migrations_reverse_and_reapply(make_user, make_published_post):
    make_published_post(make_user("painter"), title="Lighthouse at dusk")
    executor = MigrationExecutor(connection)
    executor.migrate([("search", "0002_indexed_search_documents")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('search_word')")
        assert cursor.fetchone()[0] is None
    executor = MigrationExecutor(connection)
    executor.migrate([("search", "0004_tagged_newest_first")])
    assert {"lighthouse", "dusk"} <= _words()  # filled from the posts already public
    assert _titles(search_posts(viewer=None, query="lighthuose")) == ["Lighthouse at dusk"]
