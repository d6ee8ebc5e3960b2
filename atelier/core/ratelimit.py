"""Fixed-window counters in the cache: Redis in production (shared by every web process), local otherwise."""

import time
from dataclasses import dataclass

from django.core.cache import cache


def rate_limited_response(error: "RateLimited"):
    """429 with the reason in words and Retry-After, for plain (non-htmx) actions."""
    from django.http import HttpResponse

    response = HttpResponse(str(error), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(error.retry_after)
    return response


class RateLimited(Exception):
    """Too many actions of one kind in the current window; `retry_after` seconds until the next."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` hits per `window` seconds for one key (an account, an address, ...)."""

    name: str
    limit: int
    window: int

    def _cache_key(self, key: str) -> tuple[str, int]:
        window_start = int(time.time()) // self.window * self.window
        return f"rl:{self.name}:{key}:{window_start}", window_start

    def hit(self, key: str) -> int:
        """Count one hit and return the count in the current window: one round trip on Redis (every
        page counts one or two of these); elsewhere one when the window's counter exists."""
        cache_key, _ = self._cache_key(key)
        if hasattr(cache, "incr_with_timeout"):
            return cache.incr_with_timeout(cache_key, self.window + 1)
        try:
            return cache.incr(cache_key)
        except ValueError:  # the window's first hit (or its counter just expired)
            if cache.add(cache_key, 1, timeout=self.window + 1):
                return 1
            return cache.incr(cache_key)  # another process added it a moment ago

    def hit_and_get_many(
        self, key: str, cache_keys: list[str], *, undecoded: bool = False, commands: dict | None = None
    ) -> tuple[int, dict]:
        """`hit(key)`, and the cache's values for `cache_keys` (absent ones left out): one round trip
        on Redis for both. With `undecoded`, values may come as cache_batch.Undecoded (on Redis).
        Raw `commands` (PooledRedisCache.incr_and_get_many) are sent on Redis only."""
        cache_key, _ = self._cache_key(key)
        if hasattr(cache, "incr_and_get_many"):
            return cache.incr_and_get_many(
                cache_key, self.window + 1, cache_keys, undecoded=undecoded, commands=commands
            )
        return self.hit(key), cache.get_many(cache_keys)

    def count(self, key: str) -> int:
        cache_key, _ = self._cache_key(key)
        return cache.get(cache_key, 0)

    def is_exceeded(self, key: str) -> bool:
        return self.count(key) >= self.limit

    def retry_after(self) -> int:
        """Seconds until the current window ends."""
        _, window_start = self._cache_key("")
        return max(1, window_start + self.window - int(time.time()))

    def reset(self, key: str) -> None:
        cache.delete(self._cache_key(key)[0])
