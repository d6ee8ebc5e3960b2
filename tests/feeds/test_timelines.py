"""Following timelines in Redis (production config only): the same pages as the database gives,
posts written in as they go public, and the visibility rule still deciding at read time."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from atelier.feeds import selectors, timelines
from atelier.feeds.models import FeedPreferences, MatureChoice
from atelier.posts import visibility
from atelier.social.models import Block, Follow, Mute

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not settings.REDIS_URL, reason="timelines live in Redis: the production-config run"),
]


def titles(page) -> list[str]:
    return [post.title for post in page.posts]


def every_page(viewer) -> list[str]:
    seen, cursor = [], None
    while True:
        page = selectors.following_feed(viewer, cursor)
        seen += titles(page)
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor


@pytest.fixture
def followed(user, make_user, make_published_post):
    artists = [make_user(f"artist{index}") for index in range(6)]
    for index, artist in enumerate(artists):
        Follow.objects.create(follower=user, followee=artist)
        for number in range(6):
            make_published_post(artist, hours_ago=index + number * 7 + 0.5, title=f"a{index}-{number}")
    make_published_post(make_user("unfollowed"), hours_ago=0.1, title="not followed")
    return artists


def test_the_timeline_gives_the_same_pages_as_the_database(user, followed, settings):
    from_timeline = every_page(user)
    assert timelines.read(user.pk, before=None, size=5) is not None  # it was built and used
    settings.REDIS_URL = ""  # the database path
    assert every_page(user) == from_timeline and len(from_timeline) == 36


def test_after_the_first_read_a_page_needs_no_query(user, followed):
    selectors.following_feed(user)
    with CaptureQueriesContext(connection) as queries:
        page = selectors.following_feed(user)
    assert len(page.posts) == selectors.PAGE_SIZE and len(queries) == 0


def test_a_new_post_is_written_into_followers_timelines(
    user, followed, make_published_post, django_capture_on_commit_callbacks
):
    selectors.following_feed(user)  # builds the timeline
    with django_capture_on_commit_callbacks(execute=True):
        make_published_post(followed[0], hours_ago=0.01, title="just now")
    assert titles(selectors.following_feed(user))[0] == "just now"


def test_held_removed_blocked_muted_and_mature_are_filtered_at_read(
    user, followed, make_published_post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        newest = make_published_post(followed[1], hours_ago=0.01, title="newest")
        mature = make_published_post(followed[2], hours_ago=0.02, title="mature", is_mature=True)
    FeedPreferences.objects.update_or_create(user=user, defaults={"mature": MatureChoice.HIDE})
    selectors.following_feed(user)
    first = titles(selectors.following_feed(user))
    assert "newest" in first and "mature" not in first
    with django_capture_on_commit_callbacks(execute=True):  # held, announced once committed
        visibility.hold(post_id=newest.pk, reason="Held: test.")
    Mute.objects.create(muter=user, muted=followed[3])
    Block.objects.create(blocker=followed[4], blocked=user)
    shown = every_page(user)
    assert "newest" not in shown and not any(t.startswith(("a3-", "a4-")) for t in shown)
    FeedPreferences.objects.update_or_create(user=user, defaults={"mature": MatureChoice.BLUR})
    assert mature.title in every_page(user)


def test_following_and_unfollowing_rebuild_the_timeline(
    user, followed, make_user, make_published_post, django_capture_on_commit_callbacks
):
    newcomer = make_user("newcomer")
    make_published_post(newcomer, hours_ago=0.2, title="newcomer's work")
    selectors.following_feed(user)
    with django_capture_on_commit_callbacks(execute=True):
        Follow.objects.create(follower=user, followee=newcomer)
    assert "newcomer's work" in titles(selectors.following_feed(user))
    with django_capture_on_commit_callbacks(execute=True):
        Follow.objects.filter(follower=user, followee=followed[0]).delete()
    assert not any(title.startswith("a0-") for title in every_page(user))


def test_deeper_than_the_timeline_keeps_the_database_answers(user, followed, monkeypatch):
    monkeypatch.setattr(timelines, "TIMELINE_LENGTH", 10)
    expected = [f"a{index}-{number}" for number in range(6) for index in range(6)]
    expected.sort(key=lambda title: int(title[1]) + int(title[3]) * 7)  # hours_ago order
    assert every_page(user) == expected


def test_a_page_full_of_filtered_entries_reads_further_into_the_timeline(
    user, followed, make_user, make_published_post, django_capture_on_commit_callbacks
):
    """A page reads a few entries beyond its need; when the person's filters drop more than that
    (here 30 new posts by someone they then muted), it reads on in the timeline, not the database."""
    loud = make_user("loud")
    Follow.objects.create(follower=user, followee=loud)
    selectors.following_feed(user)  # builds the timeline
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(30):
            make_published_post(loud, hours_ago=0.01 + number * 0.001, title=f"loud {number}")
    Mute.objects.create(muter=user, muted=loud)  # hides them: the read filters them out of the timeline
    selectors.following_feed(user)
    with CaptureQueriesContext(connection) as queries:
        page = selectors.following_feed(user)
    assert len(page.posts) == selectors.PAGE_SIZE and not any(t.startswith("loud") for t in titles(page))
    assert len(queries) == 0


def test_a_raw_timeline_reply_reads_the_same_in_both_redis_protocols(user, followed):
    import redis

    selectors.following_feed(user)  # builds the timeline
    key = timelines._key(user.pk)
    command = ("ZREVRANGEBYSCORE", key, "+inf", "-inf", "WITHSCORES", "LIMIT", 0, 5)
    replies = [
        timelines._scored(redis.Redis.from_url(settings.REDIS_URL, protocol=protocol).execute_command(*command))
        for protocol in (2, 3)
    ]
    assert [tuple(pair) for pair in replies[0]] == [tuple(pair) for pair in replies[1]] and len(replies[0]) == 5
    assert all(isinstance(member, bytes) and isinstance(score, float) for member, score in replies[0])


def test_fan_out_skips_work_published_before_the_timeline_window(user, followed, make_published_post):
    """Imported old work (its own, old published_at) never floods followers' timelines."""
    selectors.following_feed(user)  # builds the timeline
    window_hours = timelines.FAN_OUT_WINDOW_SECONDS / 3600
    imported = make_published_post(followed[0], hours_ago=window_hours + 24 * 30, title="imported from 2019")
    fresh = make_published_post(followed[0], hours_ago=0.01, title="fresh")
    assert timelines.fan_out_public_posts([imported.pk]) == 0
    assert timelines.fan_out_public_posts([fresh.pk]) == 1
    assert timelines.fan_out_public_posts([fresh.pk]) == 0  # once
    assert titles(selectors.following_feed(user))[0] == "fresh"
