"""The tus 1.0.0 endpoint at /uploads/: core protocol plus creation, expiration and termination.

Signed-in people only, and Django's CSRF protection stays on: our uploads.js sends X-CSRFToken.
Each handler reads headers, calls a service, and answers an UploadError with its status and sentence.
"""

from functools import wraps

from django.conf import settings
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from atelier.uploads import selectors, services, tus
from atelier.uploads.errors import UploadError


def _tus_endpoint(view):
    """Sign-in and protocol-version checks, and errors as plain-text sentences the client can show."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return tus.tus_response(403, message="Sign in to upload files.")
        # OPTIONS is how a client discovers the version, so it may come without one (tus spec).
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != tus.TUS_VERSION:
            return tus.tus_response(
                412,
                message=f"This server speaks tus {tus.TUS_VERSION}; send the header Tus-Resumable: {tus.TUS_VERSION}.",
                headers={"Tus-Version": tus.TUS_VERSION},
            )
        try:
            return view(request, *args, **kwargs)
        except UploadError as error:
            return tus.tus_response(error.status, message=error.message, headers=error.headers)

    return wrapper


def _options():
    return tus.tus_response(
        204,
        headers={
            "Tus-Version": tus.TUS_VERSION,
            "Tus-Extension": tus.TUS_EXTENSIONS,
            "Tus-Max-Size": str(settings.UPLOAD_MAX_BYTES),
        },
    )


@require_http_methods(["OPTIONS", "POST"])
@_tus_endpoint
def upload_collection(request):
    if request.method == "OPTIONS":
        return _options()
    if "Upload-Defer-Length" in request.headers or "Upload-Length" not in request.headers:
        raise UploadError(
            "Send the file's size in the Upload-Length header; uploads of unknown size are not supported."
        )
    length = tus.parse_byte_count(request.headers["Upload-Length"], header="Upload-Length")
    metadata = tus.parse_metadata(request.headers.get("Upload-Metadata", ""))
    upload = services.upload_create(
        owner=request.user,
        length=length,
        filename=metadata.get("filename", ""),
        content_type=metadata.get("filetype", ""),
    )
    return tus.tus_response(
        201,
        headers={
            "Location": reverse("uploads:detail", kwargs={"upload_id": upload.pk}),
            "Upload-Expires": tus.expires_header(upload.expires_at),
        },
    )


@require_http_methods(["OPTIONS", "HEAD", "PATCH", "DELETE"])
@_tus_endpoint
def upload_detail(request, upload_id):
    if request.method == "OPTIONS":
        return _options()
    if request.method == "HEAD":
        return _status(request, upload_id)
    if request.method == "PATCH":
        return _append(request, upload_id)
    services.upload_delete(upload_id=upload_id, user=request.user)
    return tus.tus_response(204)


def _status(request, upload_id):
    """HEAD: how many bytes are stored, so a client that lost its connection knows where to resume."""
    upload = selectors.upload_get_active(upload_id=upload_id, user=request.user)
    metadata = tus.encode_metadata({"filename": upload.filename, "filetype": upload.content_type})
    return tus.tus_response(
        200,
        headers={
            "Upload-Offset": str(upload.offset),
            "Upload-Length": str(upload.length),
            "Upload-Expires": tus.expires_header(upload.expires_at),
            "Upload-Metadata": metadata,
        },
    )


def _append(request, upload_id):
    """PATCH: the body is streamed from the socket in pieces (see services.upload_append), never request.body."""
    if request.content_type != tus.CHUNK_CONTENT_TYPE:
        return tus.tus_response(415, message=f"Send the file's bytes with Content-Type: {tus.CHUNK_CONTENT_TYPE}.")
    if not request.META.get("CONTENT_LENGTH"):
        return tus.tus_response(411, message="Send a Content-Length header with each chunk.")
    length = tus.parse_byte_count(request.META["CONTENT_LENGTH"], header="Content-Length")
    offset = tus.parse_byte_count(request.headers.get("Upload-Offset"), header="Upload-Offset")
    upload = services.upload_append(
        upload_id=upload_id, user=request.user, offset=offset, stream=request, length=length
    )
    return tus.tus_response(
        204,
        headers={"Upload-Offset": str(upload.offset), "Upload-Expires": tus.expires_header(upload.expires_at)},
    )
