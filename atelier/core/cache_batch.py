"""Several cache entries of one page read in a single round trip.

A feed page reads a handful of small per-person entries (feed settings, followed and hidden people,
bookmarks), each a Redis round trip. `batched(keys)` fetches them with one `get_many` for the code
inside it; `cached(key)` answers from that batch once per key and otherwise asks the cache. Each
batched answer is used once, so a read after a write in the same request still goes to the cache.
"""

import contextlib
from contextvars import ContextVar

from django.core.cache import cache

_MISSING = object()
_batch: ContextVar[dict | None] = ContextVar("atelier_cache_batch", default=None)


@contextlib.contextmanager
def batched(keys: list[str]):
    found = cache.get_many(keys)
    token = _batch.set({key: found.get(key, _MISSING) for key in keys})
    try:
        yield
    finally:
        _batch.reset(token)


def cached(key: str):
    """The cache's value for `key` (None when absent), from the current batch when it holds it."""
    batch = _batch.get()
    if batch is not None and key in batch:
        value = batch.pop(key)
        return None if value is _MISSING else value
    return cache.get(key)
