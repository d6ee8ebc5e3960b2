"""Rate limits as sliding windows: at most `limit` hits in ANY `window` seconds, per key.

Fixed windows (a counter per clock hour) let a client spend a full budget just before a window
ends and another just after it starts: 351 upload creations in under two minutes against 300 an
hour, ten password guesses in seconds against five per quarter hour (issue 24). A sliding window
keeps the time of each hit in the last `window` seconds and lets one more in only while fewer than
`limit` remain; a refused hit is not kept, so hammering does not extend the wait, and Retry-After
is exactly the time until the oldest kept hit leaves the window.

Where the hits are kept: on Redis (production, shared by every web process) a sorted set per key,
changed by one script in one round trip (`PooledRedisCache.sliding_window`); with the local-memory
cache (the embedded default, one process) a list of times under a lock. Time comes from the
configured clock (core.clock), so tests cross windows without sleeping.
"""

import threading
from dataclasses import dataclass, field
from math import ceil

from django.core.cache import cache
from django.http import HttpResponse

from atelier.core.clock import Clock, configured_clock


def rate_limited_response(error: "RateLimited") -> HttpResponse:
    """429 with the reason in words and Retry-After, for plain (non-htmx) actions."""
    response = HttpResponse(str(error), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(error.retry_after)
    return response


class RateLimited(Exception):
    """Too many actions of one kind lately; `retry_after` seconds until the next is allowed."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int  # hits in the window, this one included when allowed (limit + 1 when refused)
    retry_after: int  # whole seconds until one more hit would be allowed (0 when it would be now)


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` hits in any `window` seconds for one key (an account, an address, ...)."""

    name: str
    limit: int
    window: int
    clock: Clock | None = field(default=None, compare=False)

    def _key(self, key: str) -> str:
        return f"rl:{self.name}:{key}"

    def _now(self) -> float:
        return (self.clock or configured_clock()).now()

    def _apply(self, key: str, *, record: bool) -> tuple[int, float]:
        """(hits in the window, seconds until a slot frees), recording a hit when `record` and allowed."""
        now = self._now()
        sliding_window = getattr(cache, "sliding_window", None)
        if sliding_window is not None:
            return sliding_window(self._key(key), now=now, window=self.window, limit=self.limit, record=record)
        return _local_sliding_window(self._key(key), now=now, window=self.window, limit=self.limit, record=record)

    def check(self, key: str) -> Decision:
        """Count one hit if the window has room for it: the decision, with what a 429 needs."""
        count, wait = self._apply(key, record=True)
        allowed = count <= self.limit
        return Decision(allowed, count, 0 if allowed else _whole_seconds(wait))

    def hit(self, key: str) -> int:
        """Count one hit and return the number of hits in the window with it; over `limit` means
        refused (and not counted)."""
        return self.check(key).count

    def count(self, key: str) -> int:
        """Hits in the last `window` seconds (nothing counted)."""
        return self._apply(key, record=False)[0]

    def is_exceeded(self, key: str) -> bool:
        """True when one more hit would be refused now."""
        return self.count(key) >= self.limit

    def retry_after(self, key: str | None = None) -> int:
        """Seconds until `key` may hit again (at least 1); without a key, the whole window."""
        if key is None:
            return self.window
        return max(1, _whole_seconds(self._apply(key, record=False)[1]))

    def reset(self, key: str) -> None:
        cache.delete(self._key(key))


def _whole_seconds(wait: float) -> int:
    return max(0, ceil(wait - 1e-6))  # 59.9999997 s of float noise is 60, not 61


# --- The local-memory cache (one process): hit times under a lock.

_local_lock = threading.Lock()


def _local_sliding_window(key: str, *, now: float, window: int, limit: int, record: bool) -> tuple[int, float]:
    with _local_lock:
        stored = cache.get(key) or []
        times = [at for at in stored if at > now - window]
        if record and len(times) < limit:
            times.append(now)
            cache.set(key, times, timeout=window + 1)
            return len(times), 0.0
        if len(times) != len(stored):
            cache.set(key, times, timeout=window + 1)
        wait = _until_a_slot_frees(times, now=now, window=window, limit=limit)
        return len(times) + (1 if record else 0), wait


def _until_a_slot_frees(times: list[float], *, now: float, window: int, limit: int) -> float:
    """With `times` sorted oldest first: how long until fewer than `limit` of them are in the window."""
    if len(times) < limit:
        return 0.0
    return times[len(times) - limit] + window - now
