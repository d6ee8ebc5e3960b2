"""Following timelines in Redis: each active person's newest post ids from the people they follow,
written when a post goes public (fan-out on write) instead of gathered from 1,000 artists per read.

At 1,000 follows the per-artist LATERAL read costs ~10 ms of the database on every page
(bench/feeds.py); a timeline read is one ZREVRANGEBYSCORE. Only people who read their Following feed
have a timeline (built from the database on the first read, kept TIMELINE_SECONDS), and each holds
at most TIMELINE_LENGTH ids, so Redis holds ~13 KB per active reader, never a row per follow.

A timeline is a *candidate list*, never the rule: the page reads every candidate again through the
card cache under the public visibility rule and drops hidden authors, so a post held, removed or
unpublished after it was written in is never shown. Follows, unfollows, blocks and mutes drop the
person's timeline; the next read rebuilds it. Without Redis (the embedded default) feeds read the
database as before.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from atelier.posts.models import Post
from atelier.social.models import Follow

logger = logging.getLogger(__name__)

TIMELINE_LENGTH = 200
TIMELINE_SECONDS = 2 * 24 * 3600
# Fan-out writes only posts published this recently (the timelines' own lifetime): see fan_out_public_posts.
FAN_OUT_WINDOW_SECONDS = TIMELINE_SECONDS
FAN_OUT_BATCH = 2000


def _client():
    """The raw Redis client behind the cache, or None when the cache is not Redis."""
    if not settings.REDIS_URL:
        return None
    backend = getattr(cache, "_cache", None)  # django's RedisCache keeps its client here
    return backend.get_client(write=True) if hasattr(backend, "get_client") else None


def enabled() -> bool:
    return _client() is not None


def _key(user_id: int) -> str:
    return cache.make_key(f"feeds:timeline:{user_id}")


def _built_key(user_id: int) -> str:
    return cache.make_key(f"feeds:timeline-built:{user_id}")


def _fanned_key(post_id: int) -> str:
    return cache.make_key(f"feeds:fanned-out:{post_id}")


def _score(published_at: datetime) -> float:
    return published_at.timestamp()


class Entry(NamedTuple):  # a tuple: a page parses ~75 of them, a dataclass costs 3x as much
    post_id: int
    author_id: int
    is_mature: bool
    published_at: float  # epoch seconds, the ZSET score


def _member(post_id: int, author_id: int, is_mature: bool) -> str:
    # What the read filters on (hidden people, the mature setting) travels with the id, so a page
    # loads cards only for the posts it shows.
    return f"{post_id}:{author_id}:{int(is_mature)}"


def _entry(member: bytes, score: float) -> Entry:
    post_id, author_id, mature = member.split(b":")
    return Entry(int(post_id), int(author_id), mature == b"1", score)


def _newest_first(entry: Entry) -> tuple[float, int]:
    return (-entry.published_at, -entry.post_id)


@dataclass(frozen=True)
class Window:
    entries: list[Entry]  # newest first, after the position
    complete: bool  # nothing older exists beyond these (the timeline holds every followed post there is)
    more: bool  # the timeline holds older entries than these (a larger read would find them)


def _window_commands(user_id: int, high, size: int) -> list[tuple]:
    # Sent as a plain command: with `withscores=True` redis-py 8 turns each RESP3 score back into text
    # and parses it again, ~90 µs a page for 33 entries; the raw reply has the scores as floats.
    return [
        ("EXISTS", _built_key(user_id)),
        ("ZREVRANGEBYSCORE", _key(user_id), high, "-inf", "WITHSCORES", "LIMIT", 0, size),
        ("ZCARD", _key(user_id)),
    ]


def read(user_id: int, *, before: tuple[datetime, int] | None, size: int) -> Window | None:
    """Up to `size` entries older than `before` (published_at, id), newest first; None when the
    person has no timeline (the caller builds one)."""
    client = _client()
    if client is None:
        return None
    high = "+inf" if before is None else _score(before[0])
    pipe = client.pipeline(transaction=False)  # one round trip for the three reads
    for command in _window_commands(user_id, high, size):
        pipe.execute_command(*command)
    built, rows, length = pipe.execute()
    if not built:
        return None
    # Newest first, and by id among posts published in the same instant (Redis orders those by member text).
    scored = _scored(rows)
    entries = sorted((_entry(member, score) for member, score in scored), key=_newest_first)
    if before is not None:
        position = (_score(before[0]), before[1])
        entries = [entry for entry in entries if (entry.published_at, entry.post_id) < position]
    # Fewer rows than asked for means the timeline ends here; it holds all there is unless it is full.
    complete = len(scored) < size and length < TIMELINE_LENGTH
    return Window(entries, complete, more=len(scored) == size)


def _scored(rows) -> list[tuple[bytes, float]]:
    """A raw ZRANGE ... WITHSCORES reply as (member, score) pairs: RESP3 (redis-py 8's default) sends
    [member, score] pairs, RESP2 a flat member, score, ... list with the scores as text."""
    if not rows or isinstance(rows[0], list):
        return rows
    return list(zip(rows[::2], map(float, rows[1::2]), strict=True))


def store(user_id: int, rows: list[tuple[int, int, bool, datetime]]) -> None:
    """Write a freshly built timeline: (post id, author id, mature, published_at), newest posts of the followed."""
    client = _client()
    if client is None:
        return
    key, built = _key(user_id), _built_key(user_id)
    pipe = client.pipeline()
    pipe.delete(key)
    if rows:
        pipe.zadd(key, {_member(pk, author, mature): _score(at) for pk, author, mature, at in rows})
    pipe.expire(key, TIMELINE_SECONDS)
    pipe.set(built, 1, ex=TIMELINE_SECONDS)
    pipe.execute()


def drop(user_id: int) -> None:
    """The person's follows or hidden people changed: rebuild on the next read."""
    client = _client()
    if client is not None:
        client.delete(_key(user_id), _built_key(user_id))


def fan_out(*, post_id: int, author_id: int, is_mature: bool, published_at: datetime, follower_ids) -> int:
    """Write one public post into the timelines of the author's followers who have one. Returns how
    many timelines it went into. Idempotent: the same post at the same time is written once."""
    client = _client()
    if client is None:
        return 0
    score = _score(published_at)
    if not client.set(_fanned_key(post_id), score, ex=TIMELINE_SECONDS, nx=True):
        if float(client.get(_fanned_key(post_id)) or 0) == score:
            return 0  # already written at this time
        client.set(_fanned_key(post_id), score, ex=TIMELINE_SECONDS)
    written, member = 0, _member(post_id, author_id, is_mature)
    batch: list[int] = []

    def flush():
        nonlocal written
        pipe = client.pipeline(transaction=False)
        for follower in batch:
            pipe.exists(_built_key(follower))
        active = [follower for follower, exists in zip(batch, pipe.execute(), strict=True) if exists]
        pipe = client.pipeline(transaction=False)
        for follower in active:
            key = _key(follower)
            pipe.zadd(key, {member: score})
            pipe.zremrangebyrank(key, 0, -TIMELINE_LENGTH - 1)  # keep the newest TIMELINE_LENGTH
        pipe.execute()
        written += len(active)
        batch.clear()

    for follower in follower_ids:
        batch.append(follower)
        if len(batch) >= FAN_OUT_BATCH:
            flush()
    if batch:
        flush()
    logger.debug("post %s fanned out to %s timelines (author %s)", post_id, written, author_id)
    return written


def queue_fan_out(post_ids: list[int]) -> None:
    """After a post changed: write it into timelines in the worker (only where timelines exist)."""
    if post_ids and enabled():
        from atelier.feeds.tasks import fan_out_posts

        fan_out_posts.delay(post_ids)


def fan_out_public_posts(post_ids: list[int], *, now: datetime | None = None) -> int:
    """The worker's part: each of these posts that is public now, into its author's followers' timelines.

    Only posts published within the timeline window: older work (imported from elsewhere with its
    own date, or republished long after) would sink below every timeline's newest posts anyway, and
    writing it in would flood followers' timelines with a whole back catalogue at once. Those posts
    still appear in timelines built from the database."""

    oldest = (now or timezone.now()) - timedelta(seconds=FAN_OUT_WINDOW_SECONDS)
    written = 0
    posts = Post.objects.public().filter(pk__in=post_ids, published_at__gte=oldest)
    for post in posts.values("pk", "author_id", "is_mature", "published_at"):
        followers = (
            Follow.objects.filter(followee_id=post["author_id"])
            .values_list("follower_id", flat=True)
            .iterator(chunk_size=FAN_OUT_BATCH)
        )
        written += fan_out(
            post_id=post["pk"],
            author_id=post["author_id"],
            is_mature=post["is_mature"],
            published_at=post["published_at"],
            follower_ids=followers,
        )
    return written
