"""PostgreSQL search answers from indexes, and the stored documents follow every edit."""

import pytest
from django.db import connection

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


def test_post_search_uses_full_text_trigram_and_tag_indexes(make_user, make_published_post):
    make_published_post(make_user("painter"), title="Lighthouse at dusk", tags=["coast"])
    plan = _plan(posts_matching(viewer=None, query="lighthuose")[:25])
    assert "posts_post_search_document_gin" in plan
    assert "posts_post_title_trgm" in plan
    assert "Seq Scan on posts_post " not in plan


def test_artist_search_uses_full_text_and_trigram_indexes(make_user):
    make_user("painter")
    plan = _plan(artists_matching(viewer=None, query="portrat")[:25])
    for index in (
        "accounts_profile_search_document_gin",
        "accounts_profile_display_name_trgm",
        "accounts_profile_headline_trgm",
        "accounts_profile_skills_trgm",
        "accounts_user_handle_trgm",
    ):
        assert index in plan


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
