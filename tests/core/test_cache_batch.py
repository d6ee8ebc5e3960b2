"""One round trip for a page's per-person cache entries, and reads after writes still see the writes."""

from django.core.cache import cache

from atelier.core import cache_batch
from atelier.core.cache_batch import batched, cached


def test_a_batch_answers_every_read_of_its_keys():
    cache.set("batch:a", "one", timeout=60)
    with batched(["batch:a", "batch:b"]):
        cache.set("batch:a", "changed behind the batch's back", timeout=60)
        assert cached("batch:a") == "one"
        assert cached("batch:a") == "one"  # asked twice in a page (the visibility rule and the feed)


def test_an_absent_key_is_read_again_once_its_reader_stored_it():
    with batched(["batch:b"]):
        assert cached("batch:b") is None
        cache.set("batch:b", "computed", timeout=60)  # what the reader does on a miss
        assert cached("batch:b") == "computed"


def test_a_forgotten_key_is_read_from_the_cache():
    cache.set("batch:a", "old", timeout=60)
    with batched(["batch:a"]):
        assert cached("batch:a") == "old"
        cache.set("batch:a", "new", timeout=60)
        cache_batch.forget(["batch:a"])  # every writer of these entries calls this
        assert cached("batch:a") == "new"


def test_outside_a_batch_reads_go_to_the_cache():
    cache.set("batch:a", "plain", timeout=60)
    assert cached("batch:a") == "plain"
    cache_batch.forget(["batch:a"])  # harmless without a batch


def test_a_prefetched_batch_answers_from_what_was_already_read():
    cache.set("batch:a", "in the cache", timeout=60)
    with cache_batch.prefetched(["batch:a", "batch:b"], {"batch:a": "read with the budget count"}):
        assert cached("batch:a") == "read with the budget count"
        assert cached("batch:b") is None  # absent when read: asked of the cache again
        cache.set("batch:b", "stored by its reader", timeout=60)
        assert cached("batch:b") == "stored by its reader"
    assert cached("batch:a") == "in the cache"  # the batch ends with its block
