"""The signed-in person is read from the database on each request, never kept in the cache (whose
copy would carry the password hash and email), and every change to them applies at once."""

import pytest
from django.conf import settings
from django.core.cache import cache

from atelier.social.models import Follow

pytestmark = pytest.mark.django_db


def _everything_in_the_cache() -> bytes:
    """The stored bytes of every cache entry (Redis in the production-config run, else local memory)."""
    store = cache._cache
    if settings.REDIS_URL:
        client = store.get_client(write=False)
        values = []
        for key in client.scan_iter(match="*"):
            kind = client.type(key)
            if kind == b"string":
                values.append(client.get(key))
            elif kind == b"zset":
                values.extend(client.zrange(key, 0, -1))
            elif kind == b"hash":
                values.extend(b"%s=%s" % pair for pair in client.hgetall(key).items())
        return b"\n".join(values)
    return b"\n".join(value for value in store.values() if isinstance(value, bytes))


def test_no_password_hash_or_email_reaches_the_cache(
    signed_in_client, user, make_user, make_published_post, django_assert_max_num_queries
):
    artists = [make_user(f"painter{index}", email=f"painter{index}@example.com") for index in range(3)]
    for artist in artists:
        Follow.objects.create(follower=user, followee=artist)
        make_published_post(artist, title=f"Work of {artist.handle}")
    for path in ("/", "/feed/following/", "/feed/discover/", "/feed/home/", "/jobs/", "/search/?q=work"):
        assert signed_in_client.get(path).status_code == 200
    stored = _everything_in_the_cache()
    assert b"feeds:card" in stored or settings.REDIS_URL is None or b"Work of" in stored  # cards were cached
    for person in (user, *artists):
        person.refresh_from_db()
        assert person.password.encode() not in stored
        assert person.email.encode() not in stored
        assert person.password.split("$")[-1].encode() not in stored  # nor the bare hash


def test_a_deactivated_account_is_signed_out_on_the_next_request(signed_in_client, user):
    assert signed_in_client.get("/settings/feed/").status_code == 200
    user.is_active = False
    user.save()
    assert signed_in_client.get("/settings/feed/").status_code == 302


def test_a_changed_password_ends_other_sessions_at_once(signed_in_client, user):
    assert signed_in_client.get("/settings/feed/").status_code == 200
    user.set_password("a whole new passphrase 2026")
    user.save()
    assert signed_in_client.get("/settings/feed/").status_code == 302


def test_a_new_handle_shows_on_the_next_page(signed_in_client, user):
    signed_in_client.get("/jobs/")
    user.handle = "mira_renamed"
    user.save()
    assert "@mira_renamed" in signed_in_client.get("/jobs/").content.decode()
