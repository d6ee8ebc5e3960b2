"""Django's Redis cache backend, keeping one client per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache call, and building
one registers some 200 response callbacks: ~0.3 ms of CPU per call, several times per page (the
session, feed settings, cached rankings and cards). A `redis.Redis` is safe to share between threads
(each command borrows a connection from the pool), so one per pool is kept and reused.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from atelier.core.cache_batch import Undecoded


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient

    def get_many_bytes(self, keys) -> dict[str, bytes]:
        """The stored bytes of these keys (absent ones left out), not decoded: for a caller that keeps
        decoded copies and decodes only what changed (core.decoded_copies). Our own keys only: they
        skip the memcached-compatibility check."""
        key_map = {self.make_key(key): key for key in keys}
        values = self._cache.get_client(None).mget(list(key_map))
        return {key_map[stored]: value for stored, value in zip(key_map, values, strict=True) if value is not None}

    def incr_with_timeout(self, key, timeout: int) -> int:
        """Add one to a counter, creating it to live `timeout` seconds when absent, in one round trip
        (Django's `incr` asks EXISTS first, and a new window's counter then costs two more)."""
        return self.incr_and_get_many(key, timeout, [])[0]

    def incr_and_get_many(
        self, key, timeout: int, keys: list[str], *, undecoded: bool = False, commands: dict | None = None
    ) -> tuple[int, dict]:
        """`incr_with_timeout` and `get_many(keys)` in the same round trip: a page's budget is counted
        with what the page reads next (the signed-in person), rather than one trip after the other.
        With `undecoded`, values come as cache_batch.Undecoded, decoded only if the page reads them.
        `commands` ({name: [command, ...]}, see cache_batch.read_with_the_account_count) go in the
        same trip; each name's replies (a list, as Redis sent them) come back under that name."""
        counter = self.make_and_validate_key(key)
        key_map = {self.make_and_validate_key(other): other for other in keys}
        pipe = self._cache.get_client(counter, write=True).pipeline(transaction=False)
        pipe.set(counter, 0, ex=timeout, nx=True)
        pipe.incr(counter)
        if key_map:
            pipe.mget(list(key_map))
        for name_commands in (commands or {}).values():
            for command in name_commands:
                pipe.execute_command(*command)
        _, count, *replies = pipe.execute()
        values = {}
        for stored, data in zip(key_map, replies[0] if key_map else [], strict=True):
            if data is not None:
                values[key_map[stored]] = Undecoded(data, self.decode) if undecoded else self.decode(data)
        position = 1 if key_map else 0
        for name, name_commands in (commands or {}).items():
            values[name] = replies[position : position + len(name_commands)]
            position += len(name_commands)
        return count, values

    def decode(self, data: bytes):
        return self._cache._serializer.loads(data)
