"""Who follows, likes, comments on, blocks and mutes whom.

Blocks and mutes also shape what a person sees: `posts.models.PostQuerySet.visible_to` reads them
through the related names below (blocks_made / blocks_received, mutes_made / mutes_received).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Follow(models.Model):
    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    followee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="social_follow_once"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="social_follow_not_self"),
        ]
        indexes = [models.Index(fields=["followee", "-created_at"], name="social_followers_recent")]

    def __str__(self):
        return f"{self.follower_id} follows {self.followee_id}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="social_like_once")]
        indexes = [models.Index(fields=["post", "-created_at"], name="social_likes_recent")]

    def __str__(self):
        return f"{self.user_id} likes post {self.post_id}"


class Comment(models.Model):
    """A comment on a post, or a reply to one (one level: a reply's parent is never a reply)."""

    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(max_length=2000)
    # Sanitised HTML made once when the comment is saved (mentions linked); never the raw body.
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["post", "created_at"], name="social_comments_order")]

    def __str__(self):
        return f"comment {self.pk} on post {self.post_id}"


class Block(models.Model):
    """The blocked person can't see or interact with the blocker, and the blocker no longer sees them."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="social_block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="social_block_not_self"),
        ]

    def __str__(self):
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Mute(models.Model):
    """The muter no longer sees the muted person's posts and comments; the muted person notices nothing."""

    muter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes_made")
    muted = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes_received")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="social_mute_once"),
            models.CheckConstraint(condition=~Q(muter=F("muted")), name="social_mute_not_self"),
        ]

    def __str__(self):
        return f"{self.muter_id} mutes {self.muted_id}"
