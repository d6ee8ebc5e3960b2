"""Template filters for how things read on a page, shared by every app's templates."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

JUST_NOW = timedelta(minutes=1)


@register.filter
def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "just now" under a minute, else "3 hours ago": Django's timesince alone says "0 minutes",
    which reads like a bug. `now` is there for pages that render several times in one request."""
    if moment is None:
        return ""
    now = now or timezone.now()
    if now - moment < JUST_NOW:
        return "just now"
    return f"{timesince(moment, now, depth=1)} ago"
