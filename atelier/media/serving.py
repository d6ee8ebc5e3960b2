"""Serving public renditions from the local media folder (the embedded default).

In production renditions come from S3 or a CDN and this view is not used. Only the public
folder is reachable: originals live in a different folder that no URL maps to.
"""

from django.conf import settings
from django.http import Http404
from django.views.static import serve


def serve_public_media(request, path: str):
    if settings.STORAGES["default"]["BACKEND"] != "django.core.files.storage.FileSystemStorage":
        raise Http404("Media is served by the storage backend.")
    response = serve(request, path, document_root=settings.STORAGES["default"]["OPTIONS"]["location"])
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
