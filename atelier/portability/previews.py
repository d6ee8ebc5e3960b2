"""Small thumbnails of a scanned archive's first works, made while the uploaded ZIP is still local.

They are made once, at scan time, and kept in the cache for as long as a scanned archive is kept:
the preview page then never reads the stored archive again (which, on S3, would mean downloading
it per thumbnail). Each image is checked by the same header inspection as an upload (format, pixel
count, a cheap decode) before it is scaled, so a bomb or a broken HEIC gives no thumbnail rather
than a crash. Videos show a placeholder in the page.
"""

import io

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from atelier.media.validation import inspect_image
from atelier.portability.archives import SafeZip
from atelier.portability.scanning import is_video_name

THUMBNAIL_SIDE = 240
PREVIEW_THUMBNAILS = 24


def _key(import_id: int, work_id: int) -> str:
    return f"portability:thumb:{import_id}:{work_id}"


def _thumbnail(archive: SafeZip, name: str) -> bytes | None:
    try:
        data = archive.read_bytes(name, max_bytes=settings.POST_IMAGE_MAX_BYTES)
        inspect_image(
            ContentFile(data, name="preview"),
            max_bytes=settings.POST_IMAGE_MAX_BYTES,
            max_pixels=settings.POST_IMAGE_MAX_PIXELS,
        )
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))
            picture = ImageOps.exif_transpose(image).convert("RGB")
            picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            out = io.BytesIO()
            picture.save(out, format="JPEG", quality=80)
            return out.getvalue()
    except (ValidationError, OSError):
        return None


def thumbnails_prepare(*, archive: SafeZip, import_id: int, rows) -> None:
    """Make and cache the JPEGs (at most 240 px) of the first PREVIEW_THUMBNAILS works' first file."""
    made = {}
    for row in rows[:PREVIEW_THUMBNAILS]:
        if row.files and not is_video_name(row.files[0]["name"]):
            data = _thumbnail(archive, row.files[0]["name"])
            if data:
                made[_key(import_id, row.pk)] = data
    cache.set_many(made, timeout=settings.PORTABILITY_SCANNED_KEEP_SECONDS)


def work_thumbnail(*, import_id: int, work_id: int) -> bytes | None:
    return cache.get(_key(import_id, work_id))
