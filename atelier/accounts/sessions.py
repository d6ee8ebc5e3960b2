"""Sessions: Django's cached_db store, refusing cookie values that are no session key of ours.

Django makes session keys of 32 lowercase letters and digits. Its stock store accepts any cookie
of 8+ characters as a key to look up, so a hostile cookie with a NUL byte reached PostgreSQL
(a 500: text cannot hold NUL) and one with spaces or slashes became a cache key. Such a cookie
now names no session: the request is a visitor's, as with an expired cookie.
"""

from django.contrib.sessions.backends import cached_db


class SessionStore(cached_db.SessionStore):
    def _validate_session_key(self, key):
        return super()._validate_session_key(key) and 8 <= len(key) <= 64 and key.isascii() and key.isalnum()
