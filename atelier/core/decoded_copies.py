"""Cache entries decoded once per process, and again only when their stored bytes change.

A feed page reads 24 cards from Redis on every request; unpickling them (a post, its author, their
dates and cover lists) was ~0.4 ms of CPU per page and most of the page's garbage, and the cards
rarely change. `DecodedCopies` still reads every entry from the shared cache on every call — the
cache stays the only truth, so a card dropped or rebuilt by any process is seen at once — but keeps
the decoded value next to the bytes it came from and decodes again only when they differ.

The values it returns are shared by every caller in the process: treat them as read-only (copy
before changing one). Without Redis (the embedded default) `get_many` answers None and callers use
the cache as usual.
"""

from django.core.cache import cache


class DecodedCopies:
    def __init__(self, limit: int):
        self.limit = limit
        self._copies: dict[str, tuple[bytes, object]] = {}

    def get_many(self, keys: list[str]) -> dict | None:
        """The cache's values for `keys` (absent ones left out), or None when the cache cannot give bytes."""
        get_many_bytes = getattr(cache, "get_many_bytes", None)
        if get_many_bytes is None:
            return None
        values = {}
        for key, data in get_many_bytes(keys).items():
            kept = self._copies.get(key)
            if kept is not None and kept[0] == data:
                values[key] = kept[1]
                continue
            value = cache.decode(data)
            self._keep(key, data, value)
            values[key] = value
        return values

    def _keep(self, key: str, data: bytes, value) -> None:
        if len(self._copies) >= self.limit:
            for oldest in list(self._copies)[: self.limit // 2]:  # the first-kept half goes
                self._copies.pop(oldest, None)
        self._copies[key] = (data, value)
