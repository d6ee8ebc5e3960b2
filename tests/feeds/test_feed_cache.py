"""The feeds' caches never show what the database no longer allows: a take-down, an unpublished
post, a new block or mute, an edited title or new settings apply on the very next page."""

import pytest
from django.test import Client
from django.urls import reverse

from atelier.albums import bookmark_sets
from atelier.albums.selectors import mark_bookmarked
from atelier.albums.services import bookmark_add, bookmark_remove
from atelier.feeds import feed_cache, selectors
from atelier.media.models import MediaItem, MediaKind
from atelier.media.states import CheckState, MediaState
from atelier.posts.models import PostState
from atelier.posts.services import post_unpublish, post_update_details
from atelier.social.services import block_create, follow_create, mute_create
from tests.conftest import pass_second_factor

pytestmark = pytest.mark.django_db


def titles(page) -> list[str]:
    return [post.title for post in page.posts]


def all_pages(load) -> list[str]:
    found, cursor = [], None
    while True:
        page = load(cursor)
        found += titles(page)
        if not page.next_cursor:
            return found
        cursor = page.next_cursor


@pytest.fixture
def staff_client(make_user):
    staff = make_user("moderator")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = Client()
    pass_second_factor(client, staff)
    return client


def test_a_take_down_leaves_discover_at_once(
    make_user, make_published_post, staff_client, user, django_capture_on_commit_callbacks
):
    kept = make_published_post(make_user("kept"), title="kept")
    gone = make_published_post(make_user("gone"), title="gone", hours_ago=2)
    # Restored work goes back through the gate: an item whose check passed lets it straight through.
    MediaItem.objects.create(post=gone, kind=MediaKind.EMBED, state=MediaState.READY, ai_check=CheckState.PASS)
    assert titles(selectors.discover_feed(user)) == ["kept", "gone"]  # the ranking and cards are now cached

    with django_capture_on_commit_callbacks(execute=True):  # the take-down commits, then is announced
        response = staff_client.post("/admin/posts/post/", {"action": "take_down", "_selected_action": [gone.pk]})
    assert response.status_code == 302
    assert titles(selectors.discover_feed(user)) == ["kept"]
    assert titles(selectors.discover_feed(None)) == ["kept"]

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post("/admin/posts/post/", {"action": "restore", "_selected_action": [gone.pk]})
    assert titles(selectors.discover_feed(user)) == ["kept", "gone"]
    assert kept.pk  # untouched throughout


def test_an_unpublished_post_leaves_every_feed_at_once(
    make_user, make_published_post, user, django_capture_on_commit_callbacks
):
    artist = make_user("artist")
    follow_create(follower=user, followee=artist)
    post = make_published_post(artist, title="soon a draft")
    for load in (selectors.discover_feed, selectors.following_feed, selectors.home_feed):
        assert titles(load(user)) == ["soon a draft"], load.__name__
    with django_capture_on_commit_callbacks(execute=True):
        post_unpublish(post=post, user=artist)
    for load in (selectors.discover_feed, selectors.following_feed, selectors.home_feed):
        assert titles(load(user)) == [], load.__name__


def test_blocks_and_mutes_apply_at_once(make_user, make_published_post, user):
    blocker, muted, other = make_user("blocker"), make_user("muted"), make_user("other")
    for artist in (blocker, muted, other):
        make_published_post(artist, title=artist.handle)
    assert sorted(titles(selectors.discover_feed(user))) == ["blocker", "muted", "other"]
    block_create(blocker=blocker, blocked=user)  # they block the viewer: the viewer's cached set must go
    mute_create(muter=user, muted=muted)
    assert titles(selectors.discover_feed(user)) == ["other"]


def test_follows_reshape_the_home_mix_at_once(make_user, make_published_post, user):
    followed = make_user("followed")
    make_published_post(followed, title="followed post")
    make_published_post(make_user("someone"), title="someone's post", hours_ago=2)
    assert titles(selectors.following_feed(user)) == []
    follow_create(follower=user, followee=followed)
    assert titles(selectors.following_feed(user)) == ["followed post"]
    # Home: the followed half, then everyone else minus the followed (nothing twice).
    assert sorted(titles(selectors.home_feed(user))) == ["followed post", "someone's post"]


def test_an_edited_title_shows_on_the_next_page(make_user, make_published_post, django_capture_on_commit_callbacks):
    post = make_published_post(make_user("artist"), title="Before")
    assert titles(selectors.discover_feed(None)) == ["Before"]
    with django_capture_on_commit_callbacks(execute=True):  # the composer's save, announced once committed
        post_update_details(
            post=post, user=post.author, title="After", description="", medium="", category="", tags=[],
            software=[], is_mature=False, made_with_ai=False,
        )  # fmt: skip
    assert titles(selectors.discover_feed(None)) == ["After"]


def test_saved_feed_settings_apply_at_once(signed_in_client, make_user, make_published_post, user):
    make_published_post(make_user("a"), title="calm")
    make_published_post(make_user("b"), title="mature", is_mature=True)
    assert sorted(titles(selectors.discover_feed(user))) == ["calm", "mature"]
    response = signed_in_client.post(
        reverse("feeds:settings"), {"default_feed": "discover", "following_share": 50, "mature": "hide"}
    )
    assert response.status_code == 302, response.content
    assert titles(selectors.discover_feed(user)) == ["calm"]


def test_pages_beyond_the_shared_ranking_read_the_database_in_the_same_order(
    make_user, make_published_post, monkeypatch, user
):
    artists = [make_user(f"artist{index}") for index in range(12)]
    for index in range(150):  # 150 posts, 12 artists: the per-artist cap shapes every page
        make_published_post(artists[index % 12], title=f"post {index:03d}", hours_ago=index / 10)
    whole = all_pages(lambda cursor: selectors.discover_feed(user, cursor))

    monkeypatch.setattr(feed_cache, "CACHED_CANDIDATES", 40)  # shallower than one page's candidates
    monkeypatch.setattr(feed_cache, "_generation", lambda: 999)  # a fresh cache key
    assert all_pages(lambda cursor: selectors.discover_feed(user, cursor)) == whole
    assert sorted(whole) == sorted(f"post {index:03d}" for index in range(150))  # each exactly once


def test_following_pages_skip_hidden_and_removed_posts(make_user, make_published_post, user):
    """The per-artist plan (PostgreSQL) and the plain join (SQLite) page through the same posts:
    newest first, each once, without removed posts or the work of someone who blocked the viewer."""
    artists = [make_user(f"artist{index}") for index in range(8)]
    for artist in artists[:6]:
        follow_create(follower=user, followee=artist)
    for index in range(90):
        make_published_post(artists[index % 8], title=f"post {index:02d}", hours_ago=index / 7)
    removed = make_published_post(artists[0], title="removed", hours_ago=0.01)
    removed.state = PostState.TAKEN_DOWN
    removed.save()
    block_create(blocker=artists[5], blocked=user)  # also ends the follow
    pages = all_pages(lambda cursor: selectors.following_feed(user, cursor))
    assert pages == [f"post {index:02d}" for index in range(90) if index % 8 < 5]


@pytest.mark.parametrize("cache_limit", [2000, 1])  # cached set, and the per-page query past the limit
def test_bookmark_marks_follow_every_change(make_user, make_published_post, user, monkeypatch, cache_limit):
    monkeypatch.setattr(bookmark_sets, "CACHED_BOOKMARKS_MAX", cache_limit)
    first = make_published_post(make_user("a"), title="first")
    second = make_published_post(make_user("b"), title="second", hours_ago=2)

    def marks():
        page = selectors.discover_feed(user)
        mark_bookmarked(page.posts, user)
        return {post.title: post.viewer_bookmarked for post in page.posts}

    assert marks() == {"first": False, "second": False}
    bookmark_add(user=user, post_id=first.pk)
    assert marks() == {"first": True, "second": False}
    bookmark_add(user=user, post_id=second.pk)
    assert marks() == {"first": True, "second": True}
    bookmark_remove(user=user, post_id=first.pk)
    assert marks() == {"first": False, "second": True}


def test_each_page_marks_its_own_copy_of_a_shared_card(make_user, make_published_post, user):
    """Cards are kept decoded per process (with Redis): one person's bookmark marks must never reach
    another person's page, nor a page rendered later."""
    other = make_user("other")
    post = make_published_post(make_user("artist"), title="shared card")
    bookmark_add(user=user, post_id=post.pk)
    mine = selectors.discover_feed(user)
    mark_bookmarked(mine.posts, user)
    theirs = selectors.discover_feed(other)
    mark_bookmarked(theirs.posts, other)
    assert [p.viewer_bookmarked for p in mine.posts] == [True]
    assert [p.viewer_bookmarked for p in theirs.posts] == [False]
    assert mine.posts[0] is not theirs.posts[0]
    assert not hasattr(selectors.discover_feed(user).posts[0], "viewer_bookmarked")  # a fresh copy again
