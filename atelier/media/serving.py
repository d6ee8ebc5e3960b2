"""Serving public renditions from the local media folder (the embedded default).

Behind nginx (bin/stack, deploy/nginx/) this view is never reached: the edge checks the same
signatures and serves the files itself, from the folder or from the object store. Only the public
folder is reachable: originals live in a different folder that no URL maps to. Every URL must
carry a valid, unexpired signature (media.signed_media); any other is a 403.
"""

import time

from django.conf import settings
from django.http import Http404, HttpResponseForbidden
from django.views.static import serve

from atelier.media import signed_media

LOCAL_BACKENDS = {
    "django.core.files.storage.FileSystemStorage",
    "atelier.media.signed_media.SignedFileSystemStorage",
}


def serve_public_media(request, path: str):
    backend = settings.STORAGES["default"]["BACKEND"]
    if backend not in LOCAL_BACKENDS:
        raise Http404("Media is served by the storage backend.")
    if backend.endswith("SignedFileSystemStorage") and not signed_media.is_valid(
        path, request.GET.get("e"), request.GET.get("s")
    ):
        return HttpResponseForbidden(
            "This image link has expired or was altered. Reload the page it came from.",
            content_type="text/plain; charset=utf-8",
        )
    response = serve(request, path, document_root=settings.STORAGES["default"]["OPTIONS"]["location"])
    response.headers["Cache-Control"] = f"public, max-age={_shared_cache_seconds(request.GET.get('w'))}"
    return response


def _shared_cache_seconds(window: str | None) -> int:
    """No longer than the signed URL stays valid (its window and the next), and no longer than
    MEDIA_SHARED_CACHE_SECONDS: a withdrawn rendition leaves the public folder, and a cached copy of
    it should not outlive that for long. (Only a withdrawn post's files move; a URL never changes.)"""
    longest = settings.MEDIA_SHARED_CACHE_SECONDS
    try:
        valid_until = (int(window) + 2) * settings.SHIELD_MEDIA_URL_WINDOW_SECONDS
    except (TypeError, ValueError):
        return longest
    return max(0, min(longest, int(valid_until - time.time())))
