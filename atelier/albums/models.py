"""Bookmarks (private) and albums (named, ordered collections of visible posts, own or others')."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Bookmark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="albums_bookmark_once")]
        indexes = [models.Index(fields=["user", "-created_at"], name="albums_bookmarks_recent")]

    def __str__(self):
        return f"{self.user_id} bookmarked post {self.post_id}"


class Album(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums")
    title = models.CharField(max_length=100)
    description = models.TextField(max_length=1000, blank=True)
    is_public = models.BooleanField(default=False)
    # A chosen cover post; without one the first post in order is used.
    cover_post = models.ForeignKey("posts.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-updated_at"], name="albums_owner_recent")]

    def __str__(self):
        return self.title


class AlbumItem(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="items")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="album_items")
    position = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["album", "post"], name="albums_post_once_per_album")]

    def __str__(self):
        return f"post {self.post_id} in album {self.album_id}"
