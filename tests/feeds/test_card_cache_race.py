"""A page that read a post's card row just before the post changed must not put the old card back
in the shared cache after the change dropped it. The surge bench saw that race: a post's thumbnail
was replaced and its old file deleted, while a card cached a moment too late kept naming the old
file for CARD_SECONDS (404s); a post taken down in that moment would have kept its card as long.

Runs on the embedded cache and, in the production-config run, on Redis (where cards are read as
bytes and decoded once per process)."""

import pytest
from django.core.cache import cache

from atelier.feeds import feed_cache, selectors
from atelier.posts.models import Post, PostState

pytestmark = pytest.mark.django_db

OLD = {"thumbnail": {"sizes": [{"w": 640, "h": 640, "name": "posts/1/thumbnail-old-640.webp"}], "colour": "#111111"}}
NEW = {"thumbnail": {"sizes": [{"w": 640, "h": 640, "name": "posts/1/thumbnail-new-640.webp"}], "colour": "#222222"}}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    feed_cache.forget_process_copies()
    yield
    cache.clear()


def load_public(ids):
    return selectors._for_cards(Post.objects.public().filter(pk__in=ids)).in_bulk()


def a_page_reading_while(change):
    """`cached_cards` whose row read happens before `change` commits and is announced (what a
    writer's `posts.events` subscriber does), and whose cache write comes after it."""

    def load(ids):
        rows = load_public(ids)
        change()
        return rows

    return load


def test_a_card_read_before_a_cover_swap_is_not_cached_after_it(make_user, make_published_post):
    post = make_published_post(make_user("painter"), covers=OLD)

    def swap_covers():
        Post.objects.filter(pk=post.pk).update(covers=NEW)
        feed_cache.forget_posts([post.pk])

    racing_page = feed_cache.cached_cards([post.pk], a_page_reading_while(swap_covers))
    assert racing_page[post.pk].covers == OLD  # that page was rendered from what it read: fine
    for _ in range(2):  # every later page, from the database and then from the cache
        assert feed_cache.cached_cards([post.pk], load_public)[post.pk].covers == NEW


def test_a_post_taken_down_while_a_page_read_its_card_is_never_shown_again(make_user, make_published_post):
    post = make_published_post(make_user("painter"), covers=OLD)

    def take_down():
        Post.objects.filter(pk=post.pk).update(state=PostState.HELD)
        feed_cache.forget_posts([post.pk])

    feed_cache.cached_cards([post.pk], a_page_reading_while(take_down))
    assert feed_cache.cached_cards([post.pk], load_public) == {}


def test_a_forgotten_card_is_cached_again_once_the_mark_expires(make_user, make_published_post, settings):
    post = make_published_post(make_user("painter"), covers=OLD)
    feed_cache.cached_cards([post.pk], load_public)
    feed_cache.forget_posts([post.pk])
    loads = []

    def counting(ids):
        loads.append(list(ids))
        return load_public(ids)

    feed_cache.cached_cards([post.pk], counting)
    feed_cache.cached_cards([post.pk], counting)
    assert loads == [[post.pk], [post.pk]]  # marked "forgotten": read from the row each time
    cache.delete(feed_cache._card_key(post.pk))  # what the mark's expiry does
    feed_cache.cached_cards([post.pk], counting)
    feed_cache.cached_cards([post.pk], counting)
    assert len(loads) == 3  # cached again by the first read after it
