"""Whom a person follows, and whose work they must not see, as sets of ids cached per person.

The feeds and the visibility rule read both on every page. Every saved or deleted Follow, Block or
Mute row forgets the sets it touches (`connect`, from SocialConfig.ready): now, and again once the
change is committed, undoing a reader that cached the old state in between. Writes that send no
signals (bulk_create, QuerySet.update) must call `forget_relation_sets` themselves; as a last
resort a set lives RELATION_SET_SECONDS at most.
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from atelier.posts.models import hidden_author_ids
from atelier.social.models import Block, Follow, Mute

RELATION_SET_SECONDS = 600


def _key(kind: str, user_id: int) -> str:
    return f"social:{kind}:{user_id}"


def followed_key(user_id: int) -> str:
    return _key("followed", user_id)


def hidden_key(user_id: int) -> str:
    return _key("hidden", user_id)


def _cached_set(kind: str, user_id: int, load) -> frozenset[int]:
    ids = cache.get(_key(kind, user_id))
    if ids is None:
        ids = frozenset(load())
        cache.set(_key(kind, user_id), ids, timeout=RELATION_SET_SECONDS)
    return ids


def followed_author_ids(viewer) -> frozenset[int]:
    if viewer is None or not viewer.is_authenticated:
        return frozenset()
    return _cached_set(
        "followed", viewer.pk, lambda: Follow.objects.filter(follower=viewer).values_list("followee_id", flat=True)
    )


def hidden_author_id_set(viewer) -> frozenset[int]:
    """The same people as `posts.models.hidden_author_ids` (blocked either way, or muted), as a set."""

    if viewer is None or not viewer.is_authenticated:
        return frozenset()
    return _cached_set("hidden", viewer.pk, lambda: (row["blocker_id"] for row in hidden_author_ids(viewer)))


def forget_relation_sets(*user_ids: int) -> None:
    keys = [_key(kind, user_id) for user_id in user_ids for kind in ("followed", "hidden")]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def _follow_changed(sender, instance, **kwargs):
    forget_relation_sets(instance.follower_id)


def _block_changed(sender, instance, **kwargs):
    forget_relation_sets(instance.blocker_id, instance.blocked_id)  # hidden both ways


def _mute_changed(sender, instance, **kwargs):
    forget_relation_sets(instance.muter_id)


def connect() -> None:
    for model, receiver in ((Follow, _follow_changed), (Block, _block_changed), (Mute, _mute_changed)):
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(receiver, sender=model, dispatch_uid=f"social.relation_sets.{model.__name__}.{name}")
