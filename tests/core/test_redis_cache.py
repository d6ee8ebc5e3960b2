"""The pooled Redis cache keeps one client per pool and still behaves like Django's RedisCache."""

import threading

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs the Redis of the production-config run")


def test_one_client_is_reused_for_every_call():
    client = cache._cache
    assert client.get_client(write=False) is client.get_client(write=False)
    assert client.get_client(write=True) is client.get_client(write=True)


def test_values_round_trip_from_many_threads():
    errors = []

    def work(number):
        try:
            for index in range(50):
                cache.set(f"pooled:{number}:{index}", {"n": number, "i": index}, timeout=30)
                assert cache.get(f"pooled:{number}:{index}") == {"n": number, "i": index}
            assert cache.get_many([f"pooled:{number}:{index}" for index in range(3)]) == {
                f"pooled:{number}:{index}": {"n": number, "i": index} for index in range(3)
            }
        except Exception as error:
            errors.append((number, error))

    threads = [threading.Thread(target=work, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_counter_is_created_with_its_lifetime_and_counted_in_one_round_trip():
    from atelier.core.ratelimit import RateLimit

    limit = RateLimit("one-trip", 100, 60)
    key = cache.make_key(limit._cache_key("alice")[0])
    client = cache._cache.get_client(write=True)
    before = client.info("commandstats")
    assert [limit.hit("alice") for _ in range(3)] == [1, 2, 3]
    after = client.info("commandstats")
    assert 0 < client.ttl(key) <= 61  # the window's counter expires with the window
    assert limit.count("alice") == 3  # read back through the cache's own decoding
    calls = {name: after[name]["calls"] - before.get(name, {"calls": 0})["calls"] for name in after}
    assert calls.get("cmdstat_exists", 0) == 0 and calls["cmdstat_incrby"] == 3  # no EXISTS before each


def test_decoded_copies_decode_once_and_follow_every_change():
    from atelier.core.decoded_copies import DecodedCopies

    copies = DecodedCopies(limit=10)
    cache.set("copies:a", {"title": "first"}, timeout=60)
    first = copies.get_many(["copies:a", "copies:absent"])
    again = copies.get_many(["copies:a"])
    assert first == {"copies:a": {"title": "first"}}
    assert again["copies:a"] is first["copies:a"]  # unchanged bytes: the same decoded object
    cache.set("copies:a", {"title": "second"}, timeout=60)  # another process rebuilt it
    assert copies.get_many(["copies:a"]) == {"copies:a": {"title": "second"}}
    cache.delete("copies:a")  # dropped anywhere: gone here at once
    assert copies.get_many(["copies:a"]) == {}


def test_decoded_copies_stay_within_their_limit():
    from atelier.core.decoded_copies import DecodedCopies

    copies = DecodedCopies(limit=4)
    cache.set_many({f"copies:{index}": index * 1000 + 0.5 for index in range(10)}, timeout=60)
    for index in range(10):
        assert copies.get_many([f"copies:{index}"]) == {f"copies:{index}": index * 1000 + 0.5}
    assert len(copies._copies) <= 4


def test_a_counter_and_other_entries_are_read_in_one_round_trip():
    from atelier.core.ratelimit import RateLimit

    limit = RateLimit("with-entries", 100, 60)
    cache.set("entries:person", {"handle": "mira"}, timeout=60)
    client = cache._cache.get_client(write=True)
    before = client.info("commandstats")
    first = limit.hit_and_get_many("alice", ["entries:person", "entries:absent"])
    second = limit.hit_and_get_many("alice", [])
    after = client.info("commandstats")
    assert first == (1, {"entries:person": {"handle": "mira"}}) and second == (2, {})
    calls = {name: after[name]["calls"] - before.get(name, {"calls": 0})["calls"] for name in after}
    assert calls["cmdstat_mget"] == 1 and calls.get("cmdstat_get", 0) == 0


def test_entries_read_with_a_counter_can_wait_to_be_decoded():
    from atelier.core.cache_batch import Undecoded
    from atelier.core.ratelimit import RateLimit

    cache.set("entries:followed", frozenset(range(1000)), timeout=60)
    count, found = RateLimit("undecoded", 100, 60).hit_and_get_many(
        "bob", ["entries:followed", "entries:absent"], undecoded=True
    )
    assert count == 1 and list(found) == ["entries:followed"]
    assert type(found["entries:followed"]) is Undecoded
    assert found["entries:followed"].decode() == frozenset(range(1000))
