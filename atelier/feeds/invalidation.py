"""Keeps `feeds.feed_cache` honest: every saved or deleted post and every saved feed setting drops
what the cache holds about it, once the change is committed. (Writes through QuerySet.update on
visibility fields call `feed_cache.forget_posts` themselves: admin take-down, unpublish, readiness.)"""

from django.db.models.signals import post_delete, post_save

from atelier.feeds import feed_cache


def _post_changed(sender, instance, **kwargs):
    feed_cache.forget_posts([instance.pk])


def _preferences_changed(sender, instance, **kwargs):
    feed_cache.forget_preferences(instance.pk)


def connect() -> None:
    from atelier.feeds.models import FeedPreferences
    from atelier.posts.models import Post

    post_save.connect(_post_changed, sender=Post, dispatch_uid="feeds.post_saved")
    post_delete.connect(_post_changed, sender=Post, dispatch_uid="feeds.post_deleted")
    post_save.connect(_preferences_changed, sender=FeedPreferences, dispatch_uid="feeds.preferences_saved")
    post_delete.connect(_preferences_changed, sender=FeedPreferences, dispatch_uid="feeds.preferences_deleted")
