"""Keeps `feeds.feed_cache` and the Following timelines honest.

A post's public life is announced by `posts.events` after commit: a post that became public is
forgotten (its card and every ranking) and fanned out into its author's followers' timelines — the
named step, run only then; one that left public view or changed is forgotten. Saved feed settings and
follows still drop their own caches when saved (they are not a post's state).
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from atelier.feeds import feed_cache, timelines
from atelier.feeds.models import FeedPreferences
from atelier.posts.events import post_became_public, post_changed, post_left_public
from atelier.social.models import Follow


def _became_public(sender, post_id, **kwargs):
    feed_cache.forget_posts([post_id])
    timelines.queue_fan_out([post_id])


def _left_public(sender, post_id, **kwargs):
    # Timelines are candidate lists read again under the public rule: forgetting the card is enough.
    feed_cache.forget_posts([post_id])


def _changed(sender, post_id, **kwargs):
    feed_cache.forget_posts([post_id])


def _follow_changed(sender, instance, **kwargs):
    """A new or ended follow changes whose posts a Following timeline holds: rebuild it on the next read."""
    follower_id = instance.follower_id
    timelines.drop(follower_id)  # now, and again once committed (a read in between rebuilt the old one)
    transaction.on_commit(lambda: timelines.drop(follower_id))


def _preferences_changed(sender, instance, **kwargs):
    feed_cache.forget_preferences(instance.pk)


def connect() -> None:
    post_became_public.connect(_became_public, dispatch_uid="feeds.post_became_public")
    post_left_public.connect(_left_public, dispatch_uid="feeds.post_left_public")
    post_changed.connect(_changed, dispatch_uid="feeds.post_changed")
    post_save.connect(_preferences_changed, sender=FeedPreferences, dispatch_uid="feeds.preferences_saved")
    post_delete.connect(_preferences_changed, sender=FeedPreferences, dispatch_uid="feeds.preferences_deleted")
    post_save.connect(_follow_changed, sender=Follow, dispatch_uid="feeds.follow_saved")
    post_delete.connect(_follow_changed, sender=Follow, dispatch_uid="feeds.follow_deleted")
