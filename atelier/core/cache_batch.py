"""A request's cache entries read in as few round trips as possible.

A signed-in page reads a handful of small per-person entries (the person's record, feed settings,
followed and hidden people, bookmarks), each a Redis round trip of its own, and some of them more
than once (the visibility rule and the feed both need the hidden people). The gate fetches them all
with the page's budget count (`person_keys`: each app registers the entries of its own that pages
read, with `read_on_signed_in_pages`); `batched(keys)` fetches whatever else a block needs and the
request has not read yet; `cached(key)` answers from the batch as often as it is asked and
otherwise asks the cache. Reads that are not plain entries (a Redis sorted set) ride the same trip
as raw commands (`read_with_the_account_count`); their replies wait in the batch for `taken`.

One batch per request: a block inside another adds its entries to it, and the batch ends with the
outermost block. Entries are decoded when first asked for, so an entry no code on the page reads
costs its bytes only. A key the batch found absent is asked of the cache again (its reader computes
and stores it), and `forget(keys)`, which every writer of these entries calls, drops the batch's
copy, so a read after a write in the same request sees the write.
"""

import contextlib
from collections.abc import Callable
from contextvars import ContextVar

from django.core.cache import cache

_MISSING = object()
_batch: ContextVar[dict | None] = ContextVar("atelier_cache_batch", default=None)
_person_key_makers: list[Callable[[int | str], str]] = []
_page_command_makers: list[Callable] = []


class Undecoded:
    """An entry's stored bytes, decoded on first use (see PooledRedisCache.incr_and_get_many)."""

    __slots__ = ("_decode", "data")

    def __init__(self, data: bytes, decode):
        self.data, self._decode = data, decode

    def decode(self):
        return self._decode(self.data)


def read_on_signed_in_pages(make_key: Callable[[int | str], str]) -> None:
    """Register a per-person entry most signed-in pages read (`make_key(user id)` names it): the gate
    fetches it with the page's budget count. Called from an app's `ready()`."""
    if make_key not in _person_key_makers:
        _person_key_makers.append(make_key)


def person_keys(user_id) -> list[str]:
    return [make_key(user_id) for make_key in _person_key_makers]


def read_with_the_account_count(make_commands: Callable) -> None:
    """Register raw Redis reads some signed-in pages start with: `make_commands(request, user id)`
    returns {name: [command, ...]} for this request (empty when it reads nothing of the kind), the
    gate sends them with the page's budget count, and the replies wait in the batch under `name`
    for their reader's `taken(name)`. Only on Redis; elsewhere the reader reads as usual."""
    if make_commands not in _page_command_makers:
        _page_command_makers.append(make_commands)


def page_commands(request, user_id) -> dict[str, list[tuple]]:
    commands = {}
    for make_commands in _page_command_makers:
        commands.update(make_commands(request, user_id))
    return commands


@contextlib.contextmanager
def batched(keys: list[str]):
    """The entries of `keys` the request has not read yet, in one round trip, for the code inside."""
    batch = _batch.get()
    unread = [key for key in keys if batch is None or key not in batch]
    with prefetched(unread, cache.get_many(unread) if unread else {}):
        yield


@contextlib.contextmanager
def prefetched(keys: list[str], found: dict):
    """A batch of `keys` whose values were already read (`found`, absent ones left out; a value may be
    Undecoded), in a round trip that carried something else too (see RateLimit.hit_and_get_many)."""
    entries = {key: found.get(key, _MISSING) for key in keys}
    batch = _batch.get()
    if batch is not None:  # the request's batch grows; it ends with the outermost block
        batch.update(entries)
        yield
        return
    token = _batch.set(entries)
    try:
        yield
    finally:
        _batch.reset(token)


def cached(key: str):
    """The cache's value for `key` (None when absent), from the current batch when it holds it."""
    batch = _batch.get()
    if batch is not None and key in batch:
        value = batch[key]
        if value is _MISSING:
            del batch[key]  # absent when the batch was read: its reader fills it, later reads ask the cache
            return cache.get(key)
        if type(value) is Undecoded:
            value = batch[key] = value.decode()
        return value
    return cache.get(key)


def taken(key: str):
    """The batch's value for `key` (None when it holds none), leaving the batch: for a reader that keeps
    its own copy for the rest of the request and has its own way to ask the cache (the session)."""
    batch = _batch.get()
    value = batch.pop(key, None) if batch is not None else None
    if value is _MISSING or value is None:
        return None
    return value.decode() if type(value) is Undecoded else value


def forget(keys) -> None:
    """These entries changed: the current batch (if any) no longer answers for them."""
    batch = _batch.get()
    if batch is not None:
        for key in keys:
            batch.pop(key, None)
