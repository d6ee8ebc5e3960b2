"""Saved-search alerts: each saved search mails its owner the jobs that appeared since the last mail.

Run by the `send_job_alerts` beat task. Idempotent: a search's `last_alerted_at` moves forward in
the same transaction that queues its mail, so running twice sends nothing new.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from atelier.core.email import queue_templated_email
from atelier.jobs.models import SavedSearch
from atelier.jobs.selectors import jobs_matching

MAX_JOBS_PER_ALERT = 20


def saved_search_url(search: SavedSearch) -> str:
    query = {name: ("on" if value is True else value) for name, value in search.query.items()}
    return settings.SITE_URL + reverse("jobs:list") + (f"?{urlencode(query)}" if query else "")


def saved_search_alert_send(search: SavedSearch) -> int:
    """Mail the jobs new since the last alert; returns how many were listed (0: no mail)."""
    now = timezone.now()
    with transaction.atomic():
        locked = SavedSearch.objects.select_for_update().select_related("user").get(pk=search.pk)
        new_jobs = list(
            jobs_matching({**locked.query, "sort": "newest"})
            .filter(created_at__gt=locked.last_alerted_at, created_at__lte=now)
            .select_related("studio__profile")[:MAX_JOBS_PER_ALERT]
        )
        locked.last_alerted_at = now
        locked.save(update_fields=["last_alerted_at"])
        if new_jobs and locked.user.is_active:
            queue_templated_email(
                template="jobs/email/alert",
                context={
                    "search": locked,
                    "jobs": new_jobs,
                    "site_url": settings.SITE_URL,
                    "search_url": saved_search_url(locked),
                    "manage_url": settings.SITE_URL + reverse("jobs:saved_searches"),
                },
                to=locked.user.email,
            )
    return len(new_jobs)


def saved_search_alerts_send() -> int:
    """Every saved search's alert; returns the number of mails queued."""
    sent = 0
    for search in SavedSearch.objects.filter(user__is_active=True).only("pk").iterator():
        sent += saved_search_alert_send(search) > 0
    return sent
