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


def test_a_block_inside_another_adds_to_the_requests_one_batch():
    cache.set("batch:b", "in the cache", timeout=60)
    with cache_batch.prefetched(["batch:a"], {"batch:a": "read by the gate"}):
        with batched(["batch:a", "batch:b"]):  # batch:a was read already: only batch:b is asked for
            cache.set("batch:a", "changed behind the batch's back", timeout=60)
            assert cached("batch:a") == "read by the gate"
            assert cached("batch:b") == "in the cache"
        cache.set("batch:b", "changed behind the batch's back", timeout=60)
        assert cached("batch:b") == "in the cache"  # the batch lasts as long as the outermost block
        cache_batch.forget(["batch:b"])  # a write anywhere in the request is still seen
        assert cached("batch:b") == "changed behind the batch's back"
    assert cached("batch:a") == "changed behind the batch's back"


def test_entries_are_decoded_once_and_only_when_read():
    decoded = []

    def decode(data: bytes):
        decoded.append(data)
        return data.decode().upper()

    entries = {key: cache_batch.Undecoded(key.encode()[6:], decode) for key in ("batch:read", "batch:unread")}
    with cache_batch.prefetched(list(entries), entries):
        assert cached("batch:read") == "READ"
        assert cached("batch:read") == "READ"
    assert decoded == [b"read"]


def test_a_taken_entry_leaves_the_batch():
    cache.set("batch:session", "in the cache", timeout=60)
    found = {"batch:session": cache_batch.Undecoded(b"session", bytes.decode)}
    with cache_batch.prefetched(["batch:session", "batch:absent"], found):
        assert cache_batch.taken("batch:session") == "session"
        assert cache_batch.taken("batch:session") is None  # its reader keeps its own copy from now on
        assert cache_batch.taken("batch:absent") is None
    assert cache_batch.taken("batch:session") is None  # no batch: nothing taken, nothing asked


def test_every_app_registers_the_per_person_entries_its_pages_read():
    from atelier.accounts.backends import user_cache_key
    from atelier.albums.bookmark_sets import bookmarks_key
    from atelier.feeds.feed_cache import preferences_key
    from atelier.social.relation_sets import followed_key, hidden_key

    keys = cache_batch.person_keys(7)
    for make_key in (user_cache_key, hidden_key, followed_key, bookmarks_key, preferences_key):
        assert make_key(7) in keys
    assert len(keys) == len(set(keys)) == 5


def test_raw_reads_ride_with_the_account_count_only_where_their_app_asks(settings):
    from django.test import RequestFactory

    from atelier.feeds import timelines

    settings.REDIS_URL = ""  # without Redis no app asks for raw reads (the embedded default)
    assert cache_batch.page_commands(RequestFactory().get("/feed/following/"), 7) == {}
    cache_batch.read_with_the_account_count(timelines.first_page_commands)  # registered once, not twice
    assert cache_batch._page_command_makers.count(timelines.first_page_commands) == 1
