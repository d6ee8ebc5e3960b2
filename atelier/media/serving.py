"""Serving public renditions from the local media folder (the embedded default).

In production renditions come from S3 or a CDN and this view is not used. Only the public
folder is reachable: originals live in a different folder that no URL maps to. Every URL must
carry a valid, unexpired signature (media.signed_media); any other is a 403.
"""

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
        path, request.GET.get("w"), request.GET.get("s")
    ):
        return HttpResponseForbidden(
            "This image link has expired or was altered. Reload the page it came from.",
            content_type="text/plain; charset=utf-8",
        )
    response = serve(request, path, document_root=settings.STORAGES["default"]["OPTIONS"]["location"])
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
