"""PostgreSQL search answers from indexes, and the stored documents follow every edit."""

import re

import pytest
from django.db import connection

from atelier.search import vocabulary
from atelier.search.selectors import artists_matching, posts_matching, search_artists, search_posts

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the search indexes exist on PostgreSQL only"),
]


def _plan(queryset) -> str:
    """EXPLAIN of the page query with sequential scans priced out: a test table is tiny, so the
    planner would rightly scan it; what matters is that an index *can* answer each branch."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    return plan


def _raw_plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    return plan


def test_post_search_reads_no_table_from_end_to_end(make_user, make_published_post):
    make_published_post(make_user("painter"), title="Lighthouse at dusk", tags=["coast"])
    for query in ("lighthuose", "lighthouse", "lighthouse -dusk"):
        plan = _plan(posts_matching(viewer=None, query=query)[:25])
        assert "Seq Scan on posts_post " not in plan, plan
        assert "posts_post_search_document_gin" in plan or "posts_published" in plan


def test_artist_search_reads_no_table_from_end_to_end(make_user):
    make_user("painter")
    plan = _plan(artists_matching(viewer=None, query="portrat")[:25])
    assert "Seq Scan on accounts_profile" not in plan and "Seq Scan on accounts_user" not in plan, plan


def test_typo_corrections_are_answered_by_the_vocabulary_index():
    """Correcting a typo reads the word list's trigram index, not every title (migration 0003)."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO search_word (word) SELECT md5(n::text) FROM generate_series(1, 50000) AS n")
        cursor.execute("ANALYZE search_word")
    plan = _raw_plan("SELECT word FROM search_word WHERE word %% %s", ["lighthuose"])
    assert "search_word_trgm" in plan, plan


def test_tag_search_reads_each_tags_newest_posts_from_an_index(make_user, make_published_post):
    make_published_post(make_user("painter"), title="Harbour", tags=["coast"])
    plan = _plan(posts_matching(viewer=None, query="coast")[:25])
    assert "posts_post_tags_tag_newest" in plan, plan


def test_full_text_is_answered_by_the_stored_document_indexes():
    for table, index in (
        ("posts_post", "posts_post_search_document_gin"),
        ("accounts_profile", "accounts_profile_search_document_gin"),
    ):
        sql = f"SELECT 1 FROM {table} WHERE search_document @@ websearch_to_tsquery('english', %s)"  # noqa: S608
        plan = _raw_plan(sql, ["x"])
        assert index in plan, plan


def test_artists_words_enter_the_vocabulary(make_user):
    user = make_user("seaside_ink")
    user.profile.display_name = "Inès Okafor"
    user.profile.headline = "Matte painter"
    user.profile.skills = ["Character rigging"]
    user.profile.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM search_word")
        words = {row[0] for row in cursor.fetchall()}
    assert {"inès", "okafor", "matte", "painter", "character", "rigging", "seaside", "ink"} <= words


def test_every_connection_uses_the_tuned_trigram_threshold():
    with connection.cursor() as cursor:
        cursor.execute("SHOW pg_trgm.word_similarity_threshold")
        assert float(cursor.fetchone()[0]) == pytest.approx(0.4)


def test_stored_documents_follow_edits(make_user, make_published_post):
    author = make_user("painter")
    post = make_published_post(author, title="Harbour study")
    assert not search_posts(viewer=None, query="lighthouse").results
    post.title = "Lighthouse study"
    post.save(update_fields=["title"])
    assert [p.pk for p in search_posts(viewer=None, query="lighthouse").results] == [post.pk]

    author.profile.headline = "Matte painter"
    author.profile.save()
    assert [p.pk for p in search_artists(viewer=None, query="matte").results] == [author.pk]
    author.handle = "seaside_ink"
    author.save(update_fields=["handle"])
    assert [p.pk for p in search_artists(viewer=None, query="seaside_ink").results] == [author.pk]


def test_artists_are_ranked_without_joining_every_person(make_user):
    """The ranking reads each candidate's person by primary key (a scalar subquery per candidate):
    joined, PostgreSQL hashed all 100k people to rank a few hundred candidates."""
    painter = make_user("painter")
    painter.profile.headline = "Portrait painter"
    painter.profile.save()
    ranking = artists_matching(viewer=None, query="portrat").values_list("pk", flat=True)[:25]
    sql, _ = ranking.query.sql_with_params()
    assert not re.search(r"\bJOIN\b", sql, re.IGNORECASE), sql
    plan = _plan(ranking)
    assert "accounts_user_pkey" in plan and "Hash Join" not in plan, plan


def test_a_tags_name_is_a_known_word(make_user, make_published_post):
    """A tag's posts are found by the tag; its name is not "corrected" into a look-alike."""
    painter = make_user("painter")
    painter.profile.headline = "Watercolour painter"
    painter.profile.save()
    tagged = make_published_post(painter, title="Harbour", tags=["watercolor"])
    make_published_post(painter, title="Watercolour study")
    assert vocabulary.correct("watercolor") is None
    assert [post.pk for post in search_posts(viewer=None, query="watercolor").results] == [tagged.pk]
    assert vocabulary.correct("watercolr") is not None  # a typo of it is still corrected
