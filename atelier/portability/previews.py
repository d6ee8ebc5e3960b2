"""Small thumbnails of a scanned archive's first works, read straight from the stored ZIP.

The image is checked by the same header inspection as an upload (format, pixel count, a cheap
decode) before it is scaled, so a bomb or a broken HEIC in an archive gives no thumbnail rather
than a crash. Videos show a placeholder in the page.
"""

import io

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from atelier.media.storages import original_as_local_file
from atelier.media.validation import inspect_image
from atelier.portability.archives import ArchiveRefused, SafeZip
from atelier.portability.models import ArchiveImport, FoundWorkRow
from atelier.portability.scanning import is_video_name

THUMBNAIL_SIDE = 240


def work_thumbnail(*, run: ArchiveImport, row: FoundWorkRow) -> bytes | None:
    """A JPEG of at most 240 px for the work's first file, or None (video, missing or unreadable)."""
    if not run.archive_name or not row.files or is_video_name(row.files[0]["name"]):
        return None
    key = f"portability:thumb:{run.pk}:{row.pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    try:
        with original_as_local_file(run.archive_name) as path, SafeZip(path) as archive:
            data = archive.read_bytes(row.files[0]["name"], max_bytes=settings.POST_IMAGE_MAX_BYTES)
        upload = ContentFile(data, name="preview")
        inspect_image(upload, max_bytes=settings.POST_IMAGE_MAX_BYTES, max_pixels=settings.POST_IMAGE_MAX_PIXELS)
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))
            picture = ImageOps.exif_transpose(image).convert("RGB")
            picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            out = io.BytesIO()
            picture.save(out, format="JPEG", quality=80)
        result = out.getvalue()
    except (ValidationError, ArchiveRefused, OSError):
        result = b""
    cache.set(key, result, 3600)
    return result or None
