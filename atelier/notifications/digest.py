"""The daily email digest: one email per person with unread notifications since their last digest.

Each person is handled in their own transaction with their settings row locked, so two runs at
once (or a retried task) send one email, and a second run on the same day sends nothing.
"""

import logging
from datetime import datetime, time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from atelier.accounts.models import User
from atelier.core.email import queue_templated_email
from atelier.notifications.models import Notification, NotificationSettings
from atelier.notifications.selectors import group_notifications, visible_notifications

logger = logging.getLogger(__name__)


def digest_candidates() -> list[int]:
    """People with unread notifications who have not turned the digest off, with a confirmed address."""
    return list(
        Notification.objects.filter(
            read_at__isnull=True, recipient__is_active=True, recipient__email_verified_at__isnull=False
        )
        .exclude(recipient__notification_settings__digest=False)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def digest_send(*, user_id: int, now: datetime | None = None) -> bool:
    """Queue one person's digest (sent after commit); True when an email was queued."""

    now = now or timezone.now()
    start_of_day = timezone.make_aware(datetime.combine(now.date(), time.min), timezone.get_default_timezone())
    with transaction.atomic():
        NotificationSettings.objects.get_or_create(user_id=user_id)
        preferences = NotificationSettings.objects.select_for_update().get(user_id=user_id)
        if not preferences.digest or (preferences.last_digest_at and preferences.last_digest_at >= start_of_day):
            return False
        user = User.objects.get(pk=user_id)
        unread = visible_notifications(user).filter(read_at__isnull=True, created_at__lte=now)
        if preferences.last_digest_at:
            unread = unread.filter(created_at__gt=preferences.last_digest_at)
        wanted = [notification for notification in unread if preferences.emails_verb(notification.verb)]
        preferences.last_digest_at = now
        preferences.save(update_fields=["last_digest_at"])
        if not wanted:
            return False
        groups = group_notifications(wanted)
        queue_templated_email(
            template="notifications/email/digest",
            context={"user": user, "groups": groups, "total": len(wanted), "site_url": settings.SITE_URL},
            to=user.email,
        )
    return True


def digests_send_all(*, now: datetime | None = None) -> int:
    """Every due digest; returns how many emails were queued."""
    now = now or timezone.now()
    sent = 0
    for user_id in digest_candidates():
        try:
            sent += digest_send(user_id=user_id, now=now)
        except Exception:
            # One person's broken digest must not stop everyone else's.
            logger.exception("Digest for user %s failed", user_id)
    return sent
