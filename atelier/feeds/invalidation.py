"""Keeps `feeds.feed_cache` honest: every saved or deleted post and every saved feed setting drops
what the cache holds about it, once the change is committed. (Writes through QuerySet.update on
visibility fields call `feed_cache.forget_posts` themselves: admin take-down, unpublish, readiness.)"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from atelier.feeds import feed_cache


def _post_changed(sender, instance, **kwargs):
    feed_cache.forget_posts([instance.pk])


def _follow_changed(sender, instance, **kwargs):
    """A new or ended follow changes whose posts a Following timeline holds: rebuild it on the next read."""
    from atelier.feeds import timelines

    follower_id = instance.follower_id
    timelines.drop(follower_id)  # now, and again once committed (a read in between rebuilt the old one)
    transaction.on_commit(lambda: timelines.drop(follower_id))


def _preferences_changed(sender, instance, **kwargs):
    feed_cache.forget_preferences(instance.pk)


def connect() -> None:
    from atelier.feeds.models import FeedPreferences
    from atelier.posts.models import Post
    from atelier.social.models import Follow

    post_save.connect(_post_changed, sender=Post, dispatch_uid="feeds.post_saved")
    post_delete.connect(_post_changed, sender=Post, dispatch_uid="feeds.post_deleted")
    post_save.connect(_preferences_changed, sender=FeedPreferences, dispatch_uid="feeds.preferences_saved")
    post_delete.connect(_preferences_changed, sender=FeedPreferences, dispatch_uid="feeds.preferences_deleted")
    post_save.connect(_follow_changed, sender=Follow, dispatch_uid="feeds.follow_saved")
    post_delete.connect(_follow_changed, sender=Follow, dispatch_uid="feeds.follow_deleted")
