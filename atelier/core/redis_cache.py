"""Django's Redis cache backend, keeping one client per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache call, and building
one registers some 200 response callbacks: ~0.3 ms of CPU per call, several times per page (the
session, feed settings, cached rankings and cards). A `redis.Redis` is safe to share between threads
(each command borrows a connection from the pool), so one per pool is kept and reused.
"""

import secrets

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# KEYS[1]: the key's sorted set of hit times. ARGV: the cut-off (hits at or before it have left the
# window), the limit, this hit's member ('' to only count), now, the set's lifetime in ms. Replies
# {hits kept before this one, the score of the hit whose leaving frees a slot (nil when one is free)}.
# Times are passed as text, so no precision is lost to Lua's number formatting.
_SLIDING_WINDOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local count = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[2])
if count < limit then
  if ARGV[3] ~= '' then
    redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
  end
  return {count, false}
end
local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {count, oldest[2]}
"""


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
        self._scripts = {}

    def get_many_bytes(self, keys) -> dict[str, bytes]:
        """The stored bytes of these keys (absent ones left out), not decoded: for a caller that keeps
        decoded copies and decodes only what changed (core.decoded_copies). Our own keys only: they
        skip the memcached-compatibility check."""
        key_map = {self.make_key(key): key for key in keys}
        values = self._cache.get_client(None).mget(list(key_map))
        return {key_map[stored]: value for stored, value in zip(key_map, values, strict=True) if value is not None}

    def sliding_window(self, key, *, now: float, window: int, limit: int, record: bool) -> tuple[int, float]:
        """One sliding-window step (core.ratelimit) in one round trip: drop the hits older than
        `window`, count the rest, keep this one when `record` and there is room. Returns (hits in
        the window, with this one when recorded or refused; seconds until a slot frees)."""
        stored = self.make_and_validate_key(key)
        client = self._cache.get_client(stored, write=True)
        script = self._scripts.get(id(client))
        if script is None:
            script = self._scripts[id(client)] = client.register_script(_SLIDING_WINDOW)
        member = f"{now!r}:{secrets.token_hex(4)}" if record else ""
        count, oldest = script(keys=[stored], args=[repr(now - window), limit, member, repr(now), (window + 1) * 1000])
        if record and not oldest:
            return count + 1, 0.0
        wait = float(oldest) + window - now if oldest else 0.0
        return count + (1 if record else 0), wait

    def tally_add(self, key, field: str, amount: int = 1) -> None:
        """Add to one field of a tally (a Redis hash): counts many writers bump and one reader takes."""
        stored = self.make_and_validate_key(key)
        self._cache.get_client(stored, write=True).hincrby(stored, field, amount)

    def tally_take(self, key) -> dict[str, int]:
        """Every field of the tally, emptied in the same transaction (a bump after it starts a new one)."""
        stored = self.make_and_validate_key(key)
        pipe = self._cache.get_client(stored, write=True).pipeline(transaction=True)
        pipe.hgetall(stored)
        pipe.delete(stored)
        fields, _ = pipe.execute()
        return {name.decode(): int(count) for name, count in fields.items()}

    def decode(self, data: bytes):
        return self._cache._serializer.loads(data)
