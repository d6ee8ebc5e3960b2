"""Counting refused requests: one row per (day, rule, agent, network, artist), its counter bumped."""

import ipaddress
import re

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from atelier.protection.shield.models import ProtectionCount

_POST_PATH = re.compile(r"^/(?:posts/|media/posts/)(\d+)/")
_PROFILE_MEDIA = re.compile(r"^/media/profiles/(\d+)/")
_PROFILE_PAGE = re.compile(r"^/@([\w.-]+)")


def network_of(address: str) -> str:
    """The /24 of an IPv4 address or the /48 of an IPv6 one: enough to see a scraper's network
    without keeping anyone's exact address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def agent_name(user_agent: str) -> str:
    """The first product token of a User-Agent ("python-requests/2.32" → "python-requests")."""
    first = (user_agent or "").strip().split(" ", 1)[0].split("/", 1)[0]
    return first[:60] or "(none)"


def artist_for_path(path: str) -> int | None:
    """Whose work a refused request asked for: a post page or file, a profile page or image."""
    from atelier.accounts.models import User
    from atelier.posts.models import Post

    if match := _POST_PATH.match(path):
        return Post.objects.filter(pk=int(match.group(1))).values_list("author_id", flat=True).first()
    if match := _PROFILE_MEDIA.match(path):
        return int(match.group(1))  # profiles are keyed by their user's id
    if match := _PROFILE_PAGE.match(path):
        return User.objects.filter(handle=match.group(1).lower()).values_list("pk", flat=True).first()
    return None


def count_refusal(*, rule: str, agent: str, address: str, path: str) -> None:
    """Add one to today's row for this rule, agent, network and artist (created on first use)."""
    key = {
        "day": timezone.localdate(),
        "rule": rule,
        "agent": agent[:60],
        "network": network_of(address),
        "artist_id": artist_for_path(path),
    }
    if ProtectionCount.objects.filter(**key).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            ProtectionCount.objects.create(**key, count=1)
    except IntegrityError:  # another process created it a moment ago
        ProtectionCount.objects.filter(**key).update(count=F("count") + 1)
