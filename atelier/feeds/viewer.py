"""What a signed-in page knows about the person reading it, loaded with one explicit call.

Feed and search pages filter and mark their cards with four small per-person values: whom the
person follows, whose work they must not see (blocks both ways, mutes), what they bookmarked, and
their feed settings. `viewer_sets(user)` reads all four from the cache in ONE round trip
(`cache.get_many`); a value the cache lacks is read from the database by the module that owns it,
which stores it for the next page. The view calls it once and hands the result to the selectors
and to the card marks, so a reader sees where every value comes from. Each owner keeps its entry
current (relation_sets, bookmark_sets, feed_cache.forget_preferences).
"""

from dataclasses import dataclass

from django.core.cache import cache

from atelier.albums import bookmark_sets
from atelier.feeds import feed_cache
from atelier.feeds.models import FeedPreferences
from atelier.social import relation_sets


@dataclass(frozen=True)
class ViewerSets:
    followed: frozenset[int]  # people the viewer follows
    hidden: frozenset[int]  # people whose work the viewer must not see (blocked either way, muted)
    bookmarked: frozenset[int] | None  # bookmarked post ids; None: too many to cache (ask per page)
    preferences: FeedPreferences | None  # None for visitors


VISITOR = ViewerSets(frozenset(), frozenset(), frozenset(), None)


def preferences_for(viewer) -> FeedPreferences | None:
    """The person's feed settings (unsaved defaults when they never changed them); None for visitors."""
    if viewer is None or not viewer.is_authenticated:
        return None
    key = feed_cache.preferences_key(viewer.pk)
    preferences = cache.get(key)
    if preferences is None:
        preferences = _preferences_from_database(viewer)
    return preferences


def _preferences_from_database(viewer) -> FeedPreferences:
    # By id, not `user=viewer`: the unsaved object would hold the person (password hash, email) and
    # carry them into the cache with it.
    preferences = FeedPreferences.objects.filter(user_id=viewer.pk).first() or FeedPreferences(user_id=viewer.pk)
    cache.set(feed_cache.preferences_key(viewer.pk), preferences, timeout=feed_cache.PREFERENCES_SECONDS)
    return preferences


def viewer_sets(viewer) -> ViewerSets:
    """The viewer's follows, hidden people, bookmarks and feed settings: one cache round trip when
    all four are cached (the usual case), plus a database read for each one that is not."""
    if viewer is None or not viewer.is_authenticated:
        return VISITOR
    pk = viewer.pk
    followed_key, hidden_key = relation_sets.followed_key(pk), relation_sets.hidden_key(pk)
    bookmarks_key, preferences_key = bookmark_sets.bookmarks_key(pk), feed_cache.preferences_key(pk)
    found = cache.get_many([followed_key, hidden_key, bookmarks_key, preferences_key])
    return ViewerSets(
        followed=found[followed_key] if followed_key in found else relation_sets.followed_author_ids(viewer),
        hidden=found[hidden_key] if hidden_key in found else relation_sets.hidden_author_id_set(viewer),
        bookmarked=(
            bookmark_sets.from_cached(found[bookmarks_key])
            if bookmarks_key in found
            else bookmark_sets.bookmarked_post_ids(viewer)
        ),
        preferences=found[preferences_key] if preferences_key in found else _preferences_from_database(viewer),
    )
