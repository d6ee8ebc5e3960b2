"""Public rendition URLs that are signed and expire, in a rotating window, checkable by nginx.

A URL carries when it expires and a keyed digest of that time and its path, in the format of nginx's
`secure_link` module: `/media/posts/7/12-ab.webp?e=1764979200&s=Qm9v…` where `s` is the base64url MD5
of `"{e}{path} {key}"` (`secure_link_md5 "$secure_link_expires$uri <key>"`). So the edge (nginx, see
deploy/nginx/) checks every file request without asking Python, and the embedded default's /media/
view checks the very same URLs.

The expiry is the end of the window *after* the one the page was rendered in (windows are days since
the epoch by default): a URL is valid in its own window and the next, so a page rendered just before
midnight keeps working, a URL stays the same for a whole window (a CDN or nginx cache keeps one
entry per file and day), and a list of URLs scraped today is useless the day after tomorrow.
Renditions themselves never move.

The key is derived from SECRET_KEY (`media_url_key`), so the nginx config holds a key that signs
media URLs and nothing else.
"""

import base64
import hashlib
import hmac
import time
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.core.files.storage import FileSystemStorage

from atelier.media.object_storage import ObjectStorage


def current_window(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // settings.SHIELD_MEDIA_URL_WINDOW_SECONDS)


def expiry_for(now: float | None = None) -> int:
    """The end of the next window: every URL handed out in one window shares it."""
    return (current_window(now) + 2) * settings.SHIELD_MEDIA_URL_WINDOW_SECONDS


@lru_cache(maxsize=4)
def _key(secret: str) -> str:
    return hashlib.sha256(b"atelier.media-url:" + secret.encode()).hexdigest()


def media_url_key() -> str:
    """The key nginx's secure_link_md5 appends: a one-way derivative of SECRET_KEY, for media URLs only."""
    return _key(settings.SECRET_KEY)


@lru_cache(maxsize=65536)
def _signature(key: str, path: str, expires: int) -> str:
    # nginx's secure_link speaks MD5 only; the key comes last, so a length extension cannot reuse a digest.
    digest = hashlib.md5(f"{expires}{path} {key}".encode(), usedforsecurity=True).digest()  # noqa: S324
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def media_path(name: str) -> str:
    """The decoded URL path of a public file, as nginx's `$uri` sees it: MEDIA_URL's path plus the name."""
    return unquote(urlsplit(settings.MEDIA_URL).path) + name


def signature(path: str, expires: int) -> str:
    # A feed page asks for ~175 URLs, mostly the same files as the last page: remember them.
    return _signature(media_url_key(), path, expires)


def signed_query(name: str, now: float | None = None) -> str:
    expires = expiry_for(now)
    return f"e={expires}&s={signature(media_path(name), expires)}"  # digits and base64url: nothing to escape


def is_valid(name: str, expires: str | None, given: str | None, now: float | None = None) -> bool:
    """True for an untampered URL that has not expired, exactly what nginx's secure_link decides."""
    try:
        expires_at = int(expires or "")
    except ValueError:
        return False
    if expires_at <= (time.time() if now is None else now):
        return False
    return hmac.compare_digest(signature(media_path(name), expires_at), given or "")


def signed_url(name: str) -> str:
    return f"{settings.MEDIA_URL}{quote(name)}?{signed_query(name)}"


class SignedFileSystemStorage(FileSystemStorage):
    """The local public folder, handing out signed, expiring URLs."""

    def url(self, name):
        return f"{super().url(name)}?{signed_query(name)}"


class SignedS3Storage(ObjectStorage):
    """A public S3 prefix whose files are reached through the edge at MEDIA_URL, never the bucket.

    nginx (or a CDN running the same rule) checks the signature, refuses AI crawlers, adds the
    do-not-train headers and fetches the object from the bucket; the bucket itself is not published.
    """

    def url(self, name, parameters=None, expire=None, http_method=None):
        return signed_url(name)
