"""Several cache entries of one page read in a single round trip.

A feed page reads a handful of small per-person entries (feed settings, followed and hidden people,
bookmarks), each a Redis round trip, and some of them more than once (the visibility rule and the
feed both need the hidden people). `batched(keys)` fetches them with one `get_many` for the code
inside it; `cached(key)` answers from that batch as often as it is asked and otherwise asks the
cache. A key the batch found absent is asked of the cache again (its reader computes and stores
it), and `forget(keys)`, which every writer of these entries calls, drops the batch's copy, so a
read after a write in the same request sees the write.
"""

import contextlib
from contextvars import ContextVar

from django.core.cache import cache

_MISSING = object()
_batch: ContextVar[dict | None] = ContextVar("atelier_cache_batch", default=None)


@contextlib.contextmanager
def batched(keys: list[str]):
    with prefetched(keys, cache.get_many(keys)):
        yield


@contextlib.contextmanager
def prefetched(keys: list[str], found: dict):
    """A batch of `keys` whose values were already read (`found`, absent ones left out), in a round
    trip that carried something else too (see RateLimit.hit_and_get_many)."""
    token = _batch.set({key: found.get(key, _MISSING) for key in keys})
    try:
        yield
    finally:
        _batch.reset(token)


def cached(key: str):
    """The cache's value for `key` (None when absent), from the current batch when it holds it."""
    batch = _batch.get()
    if batch is not None and key in batch:
        value = batch[key]
        if value is not _MISSING:
            return value
        del batch[key]  # absent when the batch was read: its reader fills it, later reads ask the cache
    return cache.get(key)


def forget(keys) -> None:
    """These entries changed: the current batch (if any) no longer answers for them."""
    batch = _batch.get()
    if batch is not None:
        for key in keys:
            batch.pop(key, None)
