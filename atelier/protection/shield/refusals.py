"""Counting refused requests: in the cache on the refused request, in the database once a minute.

A refusal is what a flood is made of, so it must cost the site next to nothing: the gate adds one
to a tally in the cache (a Redis hash in production, one field per day, rule, agent, network and
target) and touches no table. At most once every FLUSH_SECONDS, whichever refusal finds the flush
due moves the tally into `ProtectionCount` rows (one per day, rule, agent, network and artist),
resolving the targets to artists with one query per kind; the artist's weekly report flushes
first, so it never lags. Only refusals of clients that proved no account are counted (the gate's
callers see to it): a signed-in reader, or an artist opening her own work, is never a scraper here.
Without Redis (the embedded default, one process) the tally is a cache
entry changed under a lock.
"""

import functools
import ipaddress
import re
import threading
from collections import Counter

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from atelier.accounts.models import User
from atelier.posts.models import Post
from atelier.protection.shield.clients import client_kind
from atelier.protection.shield.models import ClientKind, ProtectionCount

FLUSH_SECONDS = 60
_TALLY_KEY = "shield:refusals"
_FLUSHED_KEY = "shield:refusals:flushed"
_POST_PATH = re.compile(r"^/(?:posts/|media/posts/)(\d+)/")
_PROFILE_MEDIA = re.compile(r"^/media/profiles/(\d+)/")
_PROFILE_PAGE = re.compile(r"^/@([\w.-]{1,30})")
_local_lock = threading.Lock()


@functools.lru_cache(maxsize=4096)
def network_of(address: str) -> str:
    """The /24 of an IPv4 address or the /48 of an IPv6 one: enough to see a scraper's network
    without keeping anyone's exact address. Remembered per address: every page's pass check asks,
    and `ipaddress` takes tens of microseconds to answer."""
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


def target_of(path: str) -> str:
    """Whose work a refused request asked for, as read from its path alone (no query): a post page
    or file, a profile's images, a profile page; "" for anything else."""
    if match := _POST_PATH.match(path):
        return f"post:{match.group(1)}"
    if match := _PROFILE_MEDIA.match(path):
        return f"user:{match.group(1)}"  # profiles are keyed by their user's id
    if match := _PROFILE_PAGE.match(path):
        return f"handle:{match.group(1).lower()}"
    return ""


def count_refusal(*, rule: str, user_agent: str, address: str, path: str, crawler: str | None = None) -> None:
    """Add one to the tally for this refusal; move the tally into the database when that is due.
    `crawler` is the listed token the User-Agent matched, when that is why it was refused."""
    clean_agent = (crawler or agent_name(user_agent))[:60].replace("\t", " ")
    kind = ClientKind.AI_CRAWLER if crawler else client_kind(user_agent)
    day = timezone.localdate().isoformat()
    field = "\t".join((day, rule, clean_agent, network_of(address), kind, target_of(path)))
    tally_add = getattr(cache, "tally_add", None)
    if tally_add is not None:
        tally_add(_TALLY_KEY, field)
    else:
        with _local_lock:
            tally = cache.get(_TALLY_KEY) or {}
            tally[field] = tally.get(field, 0) + 1
            cache.set(_TALLY_KEY, tally, timeout=None)
    if cache.add(_FLUSHED_KEY, 1, timeout=FLUSH_SECONDS):  # nobody flushed in the last minute
        flush()


def _take_tally() -> dict[str, int]:
    tally_take = getattr(cache, "tally_take", None)
    if tally_take is not None:
        return tally_take(_TALLY_KEY)
    with _local_lock:
        tally = cache.get(_TALLY_KEY) or {}
        cache.delete(_TALLY_KEY)
        return tally


def flush() -> int:
    """Move the tally into ProtectionCount rows; returns how many refusals it moved."""
    tally = _take_tally()
    if not tally:
        return 0
    parsed = [(field.split("\t"), count) for field, count in tally.items()]
    artists = _artists([fields[-1] for fields, _ in parsed])
    rows: Counter = Counter()
    for fields, count in parsed:
        if len(fields) != 6:  # a tally left by an older version of this module
            continue
        day, rule, agent, network, kind, target = fields
        rows[(day, rule, agent, network, kind, artists.get(target))] += count
    for (day, rule, agent, network, kind, artist_id), count in rows.items():
        key = dict(day=day, rule=rule, agent=agent, network=network, client=kind, artist_id=artist_id)
        _add_to_row(key, count)
    return sum(rows.values())


def _artists(targets: list[str]) -> dict[str, int]:
    """Target → artist id, one query per kind of target; unknown posts and handles are nobody's."""
    kinds: dict[str, set[str]] = {"post": set(), "user": set(), "handle": set()}
    for target in targets:
        if target:
            kind, _, value = target.partition(":")
            kinds[kind].add(value)
    found = {f"user:{pk}": int(pk) for pk in kinds["user"]}
    if post_ids := {int(pk) for pk in kinds["post"]}:
        for pk, author_id in Post.objects.filter(pk__in=post_ids).values_list("pk", "author_id"):
            found[f"post:{pk}"] = author_id
    if kinds["handle"]:
        for handle, pk in User.objects.filter(handle__in=kinds["handle"]).values_list("handle", "pk"):
            found[f"handle:{handle}"] = pk
    if kinds["user"]:  # a profile image of an account since deleted is nobody's
        existing = set(User.objects.filter(pk__in=[int(pk) for pk in kinds["user"]]).values_list("pk", flat=True))
        found = {target: pk for target, pk in found.items() if not target.startswith("user:") or pk in existing}
    return found


def _add_to_row(key: dict, count: int) -> None:
    if ProtectionCount.objects.filter(**key).update(count=F("count") + count):
        return
    try:
        with transaction.atomic():
            ProtectionCount.objects.create(**key, count=count)
    except IntegrityError:  # another process created it a moment ago
        ProtectionCount.objects.filter(**key).update(count=F("count") + count)
