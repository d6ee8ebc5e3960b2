"""Reading uploads: one owner's own, and the ones the hourly purge may remove."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from atelier.uploads.errors import UploadGone, UploadNotFound
from atelier.uploads.models import Upload


def upload_get_for_owner(*, upload_id, user, for_update: bool = False) -> Upload:
    """The caller's upload, or UploadNotFound: someone else's looks exactly like one that never existed."""
    queryset = Upload.objects.owned_by(user)
    if for_update:
        # PostgreSQL locks the row; SQLite's IMMEDIATE transactions (settings) already serialise writers.
        queryset = queryset.select_for_update()
    upload = queryset.filter(pk=upload_id).first()
    if upload is None:
        raise UploadNotFound()
    return upload


def upload_get_active(*, upload_id, user, for_update: bool = False) -> Upload:
    """The caller's upload that may still be resumed, read or claimed: not expired, not already used."""
    upload = upload_get_for_owner(upload_id=upload_id, user=user, for_update=for_update)
    if upload.claimed_at is not None:
        raise UploadGone("This upload has already been used. Choose the file again to upload it anew.")
    if upload.is_expired():
        raise UploadGone("This upload expired before it was used. Choose the file again to start over.")
    return upload


def uploads_to_purge(*, now: datetime | None = None) -> QuerySet[Upload]:
    """Unused uploads idle past their expiry, and used ones past the retention a consumer may need."""
    now = now or timezone.now()
    claimed_before = now - timedelta(seconds=settings.UPLOAD_CLAIMED_RETENTION_SECONDS)
    return Upload.objects.filter(Q(claimed_at__isnull=True, expires_at__lte=now) | Q(claimed_at__lte=claimed_before))
