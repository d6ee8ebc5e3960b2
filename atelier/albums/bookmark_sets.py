"""Each person's bookmarked post ids, cached, so a feed page marks its cards without a query.

Most people keep a few hundred bookmarks; past CACHED_BOOKMARKS_MAX the set is not cached and the
page asks the database for its own cards instead. Every saved or deleted Bookmark row forgets the
owner's set (now, and again on commit; see `connect`), and a set lives BOOKMARK_SET_SECONDS at most.
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

CACHED_BOOKMARKS_MAX = 2000
BOOKMARK_SET_SECONDS = 600
_TOO_MANY = "too-many"


def _key(user_id: int) -> str:
    return f"albums:bookmarked:{user_id}"


bookmarks_key = _key


def bookmarked_post_ids(viewer) -> frozenset[int] | None:
    """The ids of every post `viewer` bookmarked, or None when there are too many to cache."""
    from atelier.albums.models import Bookmark

    ids = cache.get(_key(viewer.pk))
    if ids is None:
        rows = list(Bookmark.objects.filter(user=viewer).values_list("post_id", flat=True)[: CACHED_BOOKMARKS_MAX + 1])
        ids = _TOO_MANY if len(rows) > CACHED_BOOKMARKS_MAX else frozenset(rows)
        cache.set(_key(viewer.pk), ids, timeout=BOOKMARK_SET_SECONDS)
    return from_cached(ids)


def from_cached(value) -> frozenset[int] | None:
    """A cached bookmark set as `bookmarked_post_ids` answers it (for a reader that fetched the entry
    with others in one round trip)."""
    return None if value == _TOO_MANY else value


def forget_bookmarks(user_id: int) -> None:
    cache.delete(_key(user_id))
    transaction.on_commit(lambda: cache.delete(_key(user_id)))


def _bookmark_changed(sender, instance, **kwargs):
    forget_bookmarks(instance.user_id)


def connect() -> None:
    from atelier.albums.models import Bookmark

    post_save.connect(_bookmark_changed, sender=Bookmark, dispatch_uid="albums.bookmark_sets.saved")
    post_delete.connect(_bookmark_changed, sender=Bookmark, dispatch_uid="albums.bookmark_sets.deleted")
