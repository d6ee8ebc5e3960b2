"""Sessions: Django's cached_db store, whose cache entry the gate can fetch with the page's budget.

Every signed-in page reads its session before anything else. The gate (protection.shield.gate)
counts the page against the address and reads the session's cache entry in the same Redis round
trip (`session_cache_key` names it from the cookie); `SessionStore.load` takes it from the request's
batch and otherwise loads as cached_db always does (cache, then database). The store is still the
only writer of its entry.
"""

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.core.cache import DEFAULT_CACHE_ALIAS

from atelier.core.cache_batch import taken

ENGINE = "atelier.accounts.sessions"


class SessionStore(cached_db.SessionStore):
    def _validate_session_key(self, key):
        # Django makes keys of 32 letters and digits; anything else in a cookie is no session of ours
        # (and must not become a cache key with spaces or slashes in it).
        return super()._validate_session_key(key) and _looks_like_a_session_key(key)

    def load(self):
        if self.session_key is not None and _shares_the_default_cache():
            data = taken(self.cache_key)
            if data is not None:
                return data
        return super().load()


def _shares_the_default_cache() -> bool:
    return settings.SESSION_CACHE_ALIAS == DEFAULT_CACHE_ALIAS


def session_cache_key(cookie_value: str | None) -> str | None:
    """The cache entry of the session this cookie names, or None when there is nothing worth asking
    for: another session engine or cache, or a value that is no session key (keys are letters and
    digits; a hostile cookie must not become a strange cache key)."""
    if settings.SESSION_ENGINE != ENGINE or not _shares_the_default_cache():
        return None
    if not cookie_value or not _looks_like_a_session_key(cookie_value):
        return None
    return SessionStore.cache_key_prefix + cookie_value


def _looks_like_a_session_key(value: str) -> bool:
    return 8 <= len(value) <= 64 and value.isascii() and value.isalnum()
