"""Following, Discover, Home mix, tag and category pages: order, paging, privacy, preferences."""

import math
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from atelier.core.cursors import InvalidCursor
from atelier.feeds import feed_cache, selectors
from atelier.feeds.models import FeedPreferences
from atelier.posts.models import Category, PostState
from atelier.social.engagement import post_engagement_refresh
from atelier.social.models import Block, Comment, Follow, Like, Mute

pytestmark = pytest.mark.django_db


def titles(page) -> list[str]:
    return [post.title for post in page.posts]


def all_pages(load) -> list:
    posts, cursor = [], None
    while True:
        page = load(cursor)
        posts += page.posts
        if not page.next_cursor:
            return posts
        cursor = page.next_cursor


def test_following_shows_followed_artists_newest_first(user, make_user, make_published_post):
    kofi, lars, stranger = make_user("kofi"), make_user("lars"), make_user("stranger")
    Follow.objects.create(follower=user, followee=kofi)
    Follow.objects.create(follower=user, followee=lars)
    make_published_post(kofi, hours_ago=3, title="kofi old")
    make_published_post(lars, hours_ago=1, title="lars new")
    make_published_post(stranger, hours_ago=0.5, title="not followed")
    draft = make_published_post(kofi, hours_ago=0.1, title="kofi draft")
    draft.state = PostState.DRAFT
    draft.save()
    assert titles(selectors.following_feed(user)) == ["lars new", "kofi old"]


def test_keyset_pages_cover_every_post_once(user, make_user, make_published_post):
    artists = [make_user(f"artist{index}") for index in range(30)]
    for index, artist in enumerate(artists):
        Follow.objects.create(follower=user, followee=artist)
        make_published_post(artist, hours_ago=index, title=f"p{index}")
    first = selectors.following_feed(user)
    assert len(first.posts) == selectors.PAGE_SIZE and first.next_cursor
    everything = all_pages(lambda cursor: selectors.following_feed(user, cursor))
    assert [post.title for post in everything] == [f"p{index}" for index in range(30)]


def test_a_tampered_or_foreign_cursor_is_refused(user, make_user, make_published_post, client):
    artists = [make_user(f"artist{index}") for index in range(26)]
    for artist in artists:
        make_published_post(artist)
    cursor = selectors.discover_feed(user).next_cursor
    with pytest.raises(InvalidCursor):
        selectors.discover_feed(user, cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1])
    with pytest.raises(InvalidCursor):
        selectors.following_feed(user, cursor)  # a Discover cursor is no Following cursor
    response = client.get("/feed/discover/", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "This page link is broken or too old" in response.content.decode()


def test_discover_ranks_engagement_against_age(user, make_user, make_published_post):
    fans = [make_user(f"fan{index}") for index in range(20)]
    liked_old = make_published_post(make_user("old"), hours_ago=6, title="older but loved")
    make_published_post(make_user("new"), hours_ago=1, title="new, no likes")
    make_published_post(make_user("stale"), hours_ago=48, title="stale, no likes")
    for fan in fans:
        Like.objects.create(user=fan, post=liked_old)
    post_engagement_refresh(post_ids=[liked_old.pk])  # as the like service does on commit
    # 20 likes make log10(21) = 1.32 decay periods (about 16 h) of head start: beats 5 h younger.
    assert titles(selectors.discover_feed(None)) == ["older but loved", "new, no likes", "stale, no likes"]


def test_engagement_refresh_stores_counts_and_score_and_reorders_discover(user, make_user, make_published_post):
    newer = make_published_post(make_user("newer"), hours_ago=1, title="newer")
    older = make_published_post(make_user("older"), hours_ago=7, title="older")
    assert titles(selectors.discover_feed(None)) == ["newer", "older"]
    for index in range(10):
        Like.objects.create(user=make_user(f"liker{index}"), post=older)
    Comment.objects.create(post=older, author=user, body="lovely", body_html="<p>lovely</p>")
    post_engagement_refresh(post_ids=[older.pk, newer.pk])
    older.refresh_from_db()
    assert (older.like_count, older.comment_count) == (10, 1)
    assert older.discover_score == pytest.approx(older.discover_base + math.log10(1 + 10 + 2))
    # The shared ranking still shows the old order until it expires (at most 30 s, and each
    # process's copy of it 5 s later)…
    assert titles(selectors.discover_feed(None)) == ["newer", "older"]
    cache.clear()  # …then it is rebuilt from the stored scores.
    feed_cache.forget_process_copies()
    assert titles(selectors.discover_feed(None)) == ["older", "newer"]  # 13× engagement ≈ 13 h head start
    Like.objects.filter(post=older).delete()
    Comment.objects.filter(post=older).delete()
    post_engagement_refresh(post_ids=[older.pk])
    older.refresh_from_db()
    assert (older.like_count, older.comment_count, older.discover_score) == (0, 0, older.discover_base)
    cache.clear()
    feed_cache.forget_process_copies()
    assert titles(selectors.discover_feed(None)) == ["newer", "older"]


def test_discover_shows_at_most_two_posts_per_artist_per_page(make_user, make_published_post):
    prolific = make_user("prolific")
    for index in range(6):
        make_published_post(prolific, hours_ago=index * 0.1, title=f"prolific {index}")
    others = [make_published_post(make_user(f"other{index}"), hours_ago=2 + index) for index in range(3)]
    page = selectors.discover_feed(None)
    assert sum(post.author_id == prolific.pk for post in page.posts) == 2
    assert {post.pk for post in others} <= {post.pk for post in page.posts}


def test_blocked_and_muted_people_and_hidden_posts_never_appear(user, make_user, make_published_post):
    blocker, blocked, muted, fine = make_user("blocker"), make_user("blocked"), make_user("muted"), make_user("fine")
    Block.objects.create(blocker=blocker, blocked=user)
    Block.objects.create(blocker=user, blocked=blocked)
    Mute.objects.create(muter=user, muted=muted)
    for artist in (blocker, blocked, muted, fine):
        Follow.objects.create(follower=user, followee=artist) if artist != blocker else None
        make_published_post(artist, title=artist.handle)
    removed = make_published_post(fine, title="removed")
    removed.state = PostState.TAKEN_DOWN
    removed.save()
    for load in (selectors.discover_feed, selectors.following_feed, selectors.home_feed):
        assert titles(load(user)) == ["fine"], load.__name__


def test_visitors_never_get_mature_work_and_members_choose(user, make_user, make_published_post):
    make_published_post(make_user("artist"), title="mature", is_mature=True)
    make_published_post(make_user("other"), title="calm", hours_ago=2)
    assert titles(selectors.discover_feed(None)) == ["calm"]
    assert titles(selectors.discover_feed(user)) == ["mature", "calm"]  # blurred in the page
    FeedPreferences.objects.create(user=user, mature="hide")
    assert titles(selectors.discover_feed(user)) == ["calm"]


def test_categories_mediums_and_muted_tags_filter_every_feed(user, make_user, make_published_post):
    make_published_post(make_user("a"), title="concept", category=Category.CONCEPT_ART, tags=["ships"])
    make_published_post(make_user("b"), title="comic", category=Category.COMICS, tags=["noir"])
    make_published_post(make_user("c"), title="fan", category=Category.FAN_ART, medium="3d")
    preferences = FeedPreferences.objects.create(user=user, exclude_categories=[Category.FAN_ART], muted_tags=["noir"])
    assert titles(selectors.discover_feed(user)) == ["concept"]
    preferences.exclude_categories, preferences.muted_tags, preferences.include_mediums = [], [], ["3d"]
    preferences.save()
    assert titles(selectors.discover_feed(user)) == ["fan"]


@pytest.mark.parametrize(("share", "expected_followed"), [(100, 24), (50, 12), (25, 6)])
def test_the_home_mix_follows_the_chosen_share(user, make_user, make_published_post, share, expected_followed):
    followed = [make_user(f"followed{index}") for index in range(15)]
    for index, artist in enumerate(followed):
        Follow.objects.create(follower=user, followee=artist)
        make_published_post(artist, hours_ago=index, title=f"f{index}")
        make_published_post(artist, hours_ago=index + 0.5, title=f"f{index}b")
    for index in range(30):
        make_published_post(make_user(f"stranger{index}"), hours_ago=index, title=f"s{index}")
    FeedPreferences.objects.create(user=user, following_share=share)
    page = selectors.home_feed(user)
    ids = {artist.pk for artist in followed}
    assert len(page.posts) == 24
    assert sum(post.author_id in ids for post in page.posts) == expected_followed
    assert len({post.pk for post in page.posts}) == 24  # nothing twice


def test_a_feed_page_costs_the_same_queries_whatever_its_length(
    client, make_user, make_published_post, django_capture_on_commit_callbacks
):
    def page_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/feed/discover/").status_code == 200
        return len(queries)

    make_published_post(make_user("first"))
    make_published_post(make_user("second"))
    few = page_queries()
    with django_capture_on_commit_callbacks(execute=True):  # each became public, announced on commit
        for index in range(12):
            make_published_post(make_user(f"more{index}"), hours_ago=index)
    assert page_queries() == few


def test_load_more_answers_htmx_with_cards_only(client, make_user, make_published_post):
    for index in range(26):
        make_published_post(make_user(f"artist{index}"), hours_ago=index)
    first = client.get("/feed/discover/").content.decode()
    cursor = re.search(r'href="/feed/discover/\?cursor=([^"]+)"', first).group(1)
    more = client.get(f"/feed/discover/?cursor={cursor}", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in more and len(re.findall(r'<li class="post-card[ "]', more)) == 2
    plain = client.get(f"/feed/discover/?cursor={cursor}").content.decode()
    assert "<html" in plain  # without JavaScript the link opens a whole page


def test_tag_and_category_pages(client, make_user, make_published_post):
    make_published_post(make_user("a"), title="ships at dusk", tags=["ships"], category=Category.CONCEPT_ART)
    assert "ships at dusk" in client.get("/tags/ships/").content.decode()
    assert "ships at dusk" in client.get("/categories/concept_art/").content.decode()
    assert client.get("/tags/nothing-here/").status_code == 404
    assert client.get("/categories/not-a-category/").status_code == 404


def test_following_needs_an_account(client):
    response = client.get("/feed/following/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_feed_settings_are_saved_and_contradictions_refused(signed_in_client, user):
    response = signed_in_client.post(
        "/settings/feed/",
        {"default_feed": "following", "following_share": 70, "mature": "hide", "muted_tags": "#Noir, gore"},
    )
    assert response.status_code == 302
    preferences = FeedPreferences.objects.get(user=user)
    assert (preferences.default_feed, preferences.following_share, preferences.muted_tags) == (
        "following",
        70,
        ["noir", "gore"],
    )
    clash = signed_in_client.post(
        "/settings/feed/",
        {
            "default_feed": "home",
            "following_share": 50,
            "mature": "blur",
            "include_categories": ["comics"],
            "exclude_categories": ["comics"],
        },
    )
    assert clash.status_code == 400
    assert "can&#x27;t be both shown only and never shown" in clash.content.decode()
    assert signed_in_client.post("/settings/feed/", {"default_feed": "home", "following_share": 150}).status_code == 400


def test_a_zero_share_home_is_discover_and_home_opens_the_chosen_feed(
    signed_in_client, user, make_user, make_published_post
):
    kofi = make_user("kofi")
    Follow.objects.create(follower=user, followee=kofi)
    make_published_post(kofi, title="followed")
    make_published_post(make_user("other"), title="everyone", hours_ago=2)
    FeedPreferences.objects.create(user=user, following_share=0, default_feed="following")
    assert titles(selectors.home_feed(user)) == titles(selectors.discover_feed(user)) == ["followed", "everyone"]
    page = signed_in_client.get("/").content.decode()
    assert "followed" in page and "everyone" not in page  # the Following feed opens first


def test_feed_cards_show_the_viewers_bookmarks(signed_in_client, user, make_user, make_published_post):
    from atelier.albums.models import Bookmark

    saved = make_published_post(make_user("kofi"), title="saved one")
    make_published_post(make_user("lars"), title="other one", hours_ago=2)
    Bookmark.objects.create(user=user, post=saved)
    page = signed_in_client.get("/feed/discover/").content.decode()
    assert page.count('aria-pressed="true"') == 1, "exactly the bookmarked card shows as saved"
