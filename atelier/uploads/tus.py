"""The wire format of tus 1.0.0 (https://tus.io/protocols/resumable-upload): headers in and out.

Nothing here knows about users or storage; it only turns headers into values and back.
"""

import base64
import binascii
from datetime import datetime

from django.http import HttpResponse
from django.utils.http import http_date

from atelier.uploads.errors import UploadError

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,termination"
CHUNK_CONTENT_TYPE = "application/offset+octet-stream"


def tus_response(status: int = 204, *, message: str = "", headers: dict[str, str] | None = None) -> HttpResponse:
    """Every tus response names the protocol version and is never cached (offsets change)."""
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def expires_header(moment: datetime) -> str:
    """Upload-Expires uses the HTTP date format (RFC 9110)."""
    return http_date(moment.timestamp())


def parse_byte_count(value: str | None, *, header: str) -> int:
    """A non-negative whole number of bytes, as Upload-Length, Upload-Offset and Content-Length carry."""
    if value is None or value == "":
        raise UploadError(f"The {header} header is missing.")
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise UploadError(f"The {header} header must be a whole number of bytes, not {value[:40]!r}.")
    return int(value)


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs; a key may come without a value."""
    metadata: dict[str, str] = {}
    if len(header) > 4096:
        raise UploadError("The Upload-Metadata header is too long.")
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _, encoded = pair.partition(" ")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode("utf-8") if encoded else ""
        except (binascii.Error, UnicodeDecodeError, ValueError):  # ValueError: non-ASCII where base64 should be
            raise UploadError(f"Upload-Metadata value for {key[:40]!r} is not valid base64 text.") from None
        metadata[key] = value
    return metadata


def encode_metadata(values: dict[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" if value else key for key, value in values.items()
    )
