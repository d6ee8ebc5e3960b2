import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class UploadQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)


class Upload(models.Model):
    """One resumable (tus) upload. The bytes live in the originals storage as chunk objects.

    `offset` counts the bytes stored so far; the upload is complete when it reaches `length`.
    A consumer (a post, a profile image, ...) copies the finished file out and marks it claimed;
    the hourly purge then removes the chunks, as it does for uploads abandoned past `expires_at`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    filename = models.CharField(max_length=255)
    # The browser's guess from Upload-Metadata; a hint for limits only, never trusted as the real format.
    content_type = models.CharField(max_length=100, blank=True)
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Pushed forward by every stored chunk, so only idle uploads expire.
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    objects = UploadQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["expires_at"], name="uploads_expires_idx"),
            models.Index(fields=["claimed_at"], name="uploads_claimed_idx"),
        ]

    def __str__(self):
        return f"{self.filename} ({self.offset}/{self.length})"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())
