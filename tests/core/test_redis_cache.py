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


def test_a_sliding_window_step_is_one_round_trip_and_its_set_expires_with_the_window(clock):
    from atelier.core.ratelimit import RateLimit

    limit = RateLimit("one-trip", 100, 60)
    key = cache.make_key(limit._key("alice"))
    client = cache._cache.get_client(write=True)
    before = client.info("commandstats")
    assert [limit.hit("alice") for _ in range(3)] == [1, 2, 3]
    after = client.info("commandstats")
    assert 0 < client.pttl(key) <= 61_000  # the hits' set lives no longer than the window
    assert client.zcard(key) == 3
    calls = {name: after[name]["calls"] - before.get(name, {"calls": 0})["calls"] for name in after}
    assert calls.get("cmdstat_evalsha", 0) + calls.get("cmdstat_eval", 0) == 3  # one script call per hit


def test_a_tally_is_taken_whole_and_starts_again_empty():
    cache.tally_add("tally:test", "a")
    cache.tally_add("tally:test", "a")
    cache.tally_add("tally:test", "b\tc", 5)
    assert cache.tally_take("tally:test") == {"a": 2, "b\tc": 5}
    assert cache.tally_take("tally:test") == {}


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
