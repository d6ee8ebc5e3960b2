"""Reads for account and profile pages, each a fixed number of queries."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from atelier.accounts.handles import normalise_handle
from atelier.accounts.models import Profile, ProfileImage


def _profiles_with_images() -> QuerySet[Profile]:
    return Profile.objects.select_related("user").prefetch_related(
        Prefetch("images", queryset=ProfileImage.objects.order_by("kind"))
    )


def profile_for_page(*, handle: str) -> Profile:
    """The profile shown at /@handle: active accounts only (404 otherwise)."""
    return get_object_or_404(_profiles_with_images(), user__handle=normalise_handle(handle), user__is_active=True)


def profiles_recent(*, limit: int = 24, with_work: QuerySet | None = None) -> list[Profile]:
    """Newest artists and studios, for the home page: two queries whatever the limit.

    `with_work` is a query of author ids (the caller's "public posts" rule, which accounts does not
    own): only people in it are listed, so "New on Atelier" shows artists with work to look at, not
    empty accounts. Staff accounts (moderators, admins) are never listed: they are not artists here."""
    profiles = _profiles_with_images().filter(user__is_active=True, user__is_staff=False)
    if with_work is not None:
        profiles = profiles.filter(user__in=with_work)
    return list(profiles.order_by("-user__date_joined")[:limit])
