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
