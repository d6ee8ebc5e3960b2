"""Public rendition URLs that are signed and expire, in a rotating window.

A URL carries its window number (days since the epoch, by default) and an HMAC of the file name and
that window: `/media/posts/7/12-ab.webp?w=20417&s=3f1c…`. It is valid in its own window and the next
one, so a page rendered just before midnight keeps working, a CDN can cache each URL for a day, and
a list of URLs scraped today is useless the day after tomorrow. Renditions themselves never move.

Used by the local media folder (the embedded default), whose files Atelier serves itself. With S3
behind a CDN the CDN must check the signature (or use its own signed URLs); see the README.
"""

import hashlib
import hmac
import time
from functools import lru_cache

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def current_window(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // settings.SHIELD_MEDIA_URL_WINDOW_SECONDS)


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"atelier.media-url:" + secret.encode()).digest()


@lru_cache(maxsize=65536)
def _signature(secret: str, name: str, window: int) -> str:
    return hmac.new(_key(secret), f"{name}\n{window}".encode(), hashlib.sha256).hexdigest()[:24]


def signature(name: str, window: int) -> str:
    # A feed page asks for ~175 URLs, mostly the same files as the last page: remember them.
    return _signature(settings.SECRET_KEY, name, window)


def signed_query(name: str, now: float | None = None) -> str:
    window = current_window(now)
    return f"w={window}&s={signature(name, window)}"  # both are digits and hex: nothing to escape


def is_valid(name: str, window: str, given: str, now: float | None = None) -> bool:
    """True for an untampered URL of this window or the one before it."""
    try:
        window_number = int(window)
    except (TypeError, ValueError):
        return False
    if not 0 <= current_window(now) - window_number <= 1:
        return False
    return hmac.compare_digest(signature(name, window_number), given or "")


class SignedFileSystemStorage(FileSystemStorage):
    """The local public folder, handing out signed, expiring URLs."""

    def url(self, name):
        return f"{super().url(name)}?{signed_query(name)}"
