"""Short-lived caches that take the database off the hot path of the feeds (see bench/feeds.py).

All live in the default cache (Redis in production, so every web process shares them):

- **Discover's ranked candidates per filter set.** Everyone with the same feed filters (most people,
  and every visitor) reads the same top of the ranking, so it is computed once per filter set and
  kept CANDIDATES_SECONDS at most. It holds public posts only; each person's blocks and mutes are
  applied afterwards. `forget_posts` drops every cached ranking at once (a generation number in
  the key), so a take-down or an unpublished post never lingers.
- **Card rows by post id**: the post and its author as a card shows them, the same for everyone,
  read with the public visibility rule and dropped by `forget_posts` whenever a post changes. A
  dropped card is replaced by a short-lived "forgotten" mark, and cards are only ever *added* (never
  overwritten), so a page that read the row just before the change cannot put the old card back:
  without the mark, that page's write outlived the change by CARD_SECONDS (the surge bench served a
  post's replaced thumbnail for minutes after its file was deleted, and a post taken down in that
  moment would have kept its card).
- **Feed preferences per person**, dropped when the person saves them.

`forget_posts` runs when `posts.events` says a post became public, left public or changed (the
subscriptions are in `feeds.invalidation`); it only forgets. Fan-out is its own step
(`feeds.timelines.queue_fan_out`), run only when a post became public.
"""

import hashlib
import json
import time

from django.core.cache import cache
from django.db import transaction
from django.db.models.base import ModelState
from django.utils.safestring import SafeString

from atelier.core.decoded_copies import DecodedCopies

CANDIDATES_SECONDS = 30
CARD_SECONDS = 300
# How long a dropped card stays marked "forgotten": longer than any page takes between reading a
# card's row and caching it (page p99 under the 7x surge: ~1.3 s). While marked, pages read the row.
CARD_FORGOTTEN_SECONDS = 15
_FORGOTTEN = "forgotten"
PREFERENCES_SECONDS = 600
# How deep the shared ranking goes: ten pages of candidates. Deeper pages read the database.
CACHED_CANDIDATES = 960

_GENERATION_KEY = "feeds:generation"
# A process trusts its copy of the generation this long: one round trip less per Discover page. A
# post that left public view meanwhile is still never shown: its card is dropped at once and cards
# are only ever loaded under the public rule; this process's own `forget_posts` resets the copy.
GENERATION_LOCAL_SECONDS = 1.0
_local_generation = {"value": None, "until": 0.0}
# Each process also keeps the rankings it read, as read (a 960-row list costs a round trip and an
# unpickle per page otherwise). The key carries the generation, so a change anywhere reaches this
# copy within GENERATION_LOCAL_SECONDS; it only orders ids, every card is still read under the
# public rule. Most people share a handful of filter sets.
CANDIDATES_LOCAL_SECONDS = 5.0
LOCAL_CANDIDATE_SETS = 64
_local_candidates: dict[str, tuple[list, float]] = {}


def _generation() -> int:
    now = time.monotonic()
    if _local_generation["value"] is not None and now < _local_generation["until"]:
        return _local_generation["value"]
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        cache.add(_GENERATION_KEY, 1, timeout=None)
        generation = cache.get(_GENERATION_KEY, 1)
    _local_generation.update(value=generation, until=now + GENERATION_LOCAL_SECONDS)
    return generation


def forget_process_copies() -> None:
    """Drop this process's copies of the generation, the rankings and rendered cards (after a change
    here, or a cache flush: tests start each from an empty cache)."""
    _local_generation["value"] = None
    _local_candidates.clear()
    _fragments.clear()


def forget_posts(post_ids) -> None:
    """A post changed, became public or left public view: rebuild every ranking, drop its cached
    card. Called by the `posts.events` subscribers, which run once the change is committed."""
    forget_process_copies()
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): any new value invalidates the old keys
        cache.set(_GENERATION_KEY, 2, timeout=None)
    cache.set_many({_card_key(pk): _FORGOTTEN for pk in post_ids}, timeout=CARD_FORGOTTEN_SECONDS)


# --- Discover candidates


def candidates_key(signature: dict) -> str:
    digest = hashlib.sha256(json.dumps(signature, sort_keys=True).encode()).hexdigest()[:24]
    return f"feeds:discover:{_generation()}:{digest}"


def cached_candidates(signature: dict, compute) -> list[tuple[int, int, float]]:
    """The top CACHED_CANDIDATES (id, author id, score) of the ranking for this filter set."""
    key = candidates_key(signature)
    now = time.monotonic()
    local = _local_candidates.get(key)
    if local is not None and now < local[1]:
        return local[0]
    rows = cache.get(key)
    if rows is None:
        rows = [tuple(row) for row in compute(CACHED_CANDIDATES)]
        cache.set(key, rows, timeout=CANDIDATES_SECONDS)
    if len(_local_candidates) >= LOCAL_CANDIDATE_SETS:
        _local_candidates.clear()  # filter sets beyond the common few: start over rather than grow
    _local_candidates[key] = (rows, now + CANDIDATES_LOCAL_SECONDS)
    return rows


# --- Card rows


def _card_key(pk: int) -> str:
    return f"feeds:card:{pk}"


# Decoded cards kept per process, checked against the cache's bytes on every read (core.decoded_copies).
LOCAL_CARDS = 2000
_card_copies = DecodedCopies(limit=LOCAL_CARDS)


def _page_copy(post):
    """A page's own copy of a shared card post: its attributes and related-object cache copied (the
    page sets `viewer_bookmarked` on it), the author and cover data shared, read-only."""
    page_post = post.__class__.__new__(post.__class__)
    page_post.__dict__.update(post.__dict__)
    state = page_post._state = ModelState()
    state.db, state.adding = post._state.db, post._state.adding
    state.fields_cache = dict(post._state.fields_cache)
    return page_post


def card_version(post) -> str:
    """A digest of everything a card shows of this post (its loaded fields and author's handle):
    set on each card row as it is cached, so a rendered card is reused only for the same version."""
    fields = sorted((name, value) for name, value in post.__dict__.items() if not name.startswith("_"))
    handle = post.author.handle if "author" in post._state.fields_cache else None
    return hashlib.blake2b(repr((fields, handle)).encode(), digest_size=12).hexdigest()


# Rendered card links per (post id, card version, signing window), kept per process (core of
# feeds.templatetags.feed_cards). A changed post gets a new version; a new window new URLs.
LOCAL_FRAGMENTS = 4000
_fragments: dict[tuple, SafeString] = {}


def card_fragment(post, *, window: int, render) -> SafeString:
    """The card link's HTML: rendered by `render()` once per post version and window, then reused.
    A post without a version (not read through the card cache) is rendered every time."""
    version = getattr(post, "card_version", None)
    if version is None:
        return render()
    key = (post.pk, version, window)
    html = _fragments.get(key)
    if html is None:
        if len(_fragments) >= LOCAL_FRAGMENTS:
            _fragments.clear()  # more cards than a process serves in a while: start over rather than grow
        html = _fragments[key] = render()  # a template's output: escaped by the template, marked safe
    return html


def _is_card(value) -> bool:
    return value is not None and not isinstance(value, str)  # absent, or the "forgotten" mark


def cached_cards(ids: list[int], load) -> dict:
    """Posts by id for cards: from the cache, and the missing ones through `load(ids)` (a dict).
    Every post returned is this page's own object (it gets marked for the viewer)."""
    keys = [_card_key(pk) for pk in ids]
    shared = _card_copies.get_many(keys)  # None without Redis: the cache decodes fresh objects anyway
    if shared is None:
        found = cache.get_many(keys)
    else:
        found = {key: _page_copy(post) for key, post in shared.items() if _is_card(post)}
    posts = {pk: found[_card_key(pk)] for pk in ids if _is_card(found.get(_card_key(pk)))}
    missing = [pk for pk in ids if pk not in posts]
    if missing:
        loaded = load(missing)
        for pk, post in loaded.items():
            post.card_version = card_version(post)
            # Added, not set: a "forgotten" mark means the post changed after `load` may have read it.
            cache.add(_card_key(pk), post, timeout=CARD_SECONDS)
        posts.update(loaded)
    return posts


# --- Preferences


def preferences_key(user_id: int) -> str:
    return f"feeds:preferences:{user_id}"


def forget_preferences(user_id: int) -> None:
    cache.delete(preferences_key(user_id))
    transaction.on_commit(lambda: cache.delete(preferences_key(user_id)))
