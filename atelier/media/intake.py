"""Accepting an uploaded file as a media item: what it is is decided by its content, never its name.

Images are checked from the header first (so a decompression bomb is refused before any pixel is
decoded), animated GIFs also by frame count, videos by what FFmpeg finds inside the container.
Only then is the original stored (privately) and the item queued for processing.
"""

import contextlib
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat

from atelier.media import animation, video
from atelier.media.image_formats import accepted_formats_label
from atelier.media.models import MediaKind
from atelier.media.storages import originals_storage
from atelier.media.validation import inspect_image

_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "AVIF": ".avif", "HEIF": ".heic"}
_VIDEO_EXTENSIONS = {"mov": ".mov", "matroska": ".webm"}
_NOT_A_VIDEO = {"not_a_video", "image_not_video", "no_video"}


@dataclass(frozen=True)
class AcceptedFile:
    kind: str
    format: str
    width: int
    height: int
    size: int
    duration_seconds: float | None = None


@contextlib.contextmanager
def upload_as_local_path(upload):
    """A path on local disk for an uploaded file (Django spools big uploads to disk already)."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    with tempfile.NamedTemporaryFile() as local:
        upload.seek(0)
        shutil.copyfileobj(upload, local, length=1024 * 1024)
        local.flush()
        yield Path(local.name)


def identify_media_file(path: Path) -> AcceptedFile:
    """What the file at `path` is, or a ValidationError a person can act on."""
    size = path.stat().st_size
    if size == 0:
        raise ValidationError("This file is empty.", code="empty")
    image_limit = settings.POST_IMAGE_MAX_BYTES
    video_limit = settings.POST_VIDEO_MAX_BYTES
    if size > max(image_limit, video_limit):
        raise ValidationError(
            "This file is %(size)s; the limit is %(limit)s for a video and %(image_limit)s for an image.",
            code="too_big",
            params={
                "size": filesizeformat(size),
                "limit": filesizeformat(video_limit),
                "image_limit": filesizeformat(image_limit),
            },
        )
    with path.open("rb") as handle:
        image_error = _try_image(File(handle, name=path.name), size)
    if isinstance(image_error, AcceptedFile):
        return image_error
    if image_error.code not in {"not_an_image", "unsupported_format", "too_big"}:
        raise image_error  # an image, but a broken or dangerous one: say exactly that
    try:
        facts = video.inspect_video(path, max_bytes=video_limit, max_seconds=settings.POST_VIDEO_MAX_SECONDS)
    except ValidationError as video_error:
        if video_error.code not in _NOT_A_VIDEO:
            raise  # a video, but too long, too large or damaged: say exactly that
        if image_error.code == "too_big":
            raise image_error from None  # an image over the image limit
        raise ValidationError(
            "This file is neither an image nor a video we can read. Upload %(images)s, or a video as %(videos)s.",
            code="unsupported_file",
            params={"images": accepted_formats_label(), "videos": video.ACCEPTED_VIDEO_LABEL},
        ) from None
    return AcceptedFile(
        kind=MediaKind.VIDEO,
        format=facts.container,
        width=facts.width,
        height=facts.height,
        size=size,
        duration_seconds=facts.duration_seconds,
    )


def _try_image(file: File, size: int) -> AcceptedFile | ValidationError:
    file.size = size
    try:
        facts = inspect_image(file, max_bytes=settings.POST_IMAGE_MAX_BYTES, max_pixels=settings.POST_IMAGE_MAX_PIXELS)
    except ValidationError as error:
        return error
    kind = MediaKind.IMAGE
    if facts.format == "GIF":
        file.seek(0)
        if animation.is_animated(file):
            file.seek(0)
            animation.inspect_animation(
                file,
                max_frames=settings.ANIMATION_MAX_FRAMES,
                max_total_pixels=settings.ANIMATION_MAX_TOTAL_PIXELS,
            )
            kind = MediaKind.ANIMATION
    return AcceptedFile(kind=kind, format=facts.format, width=facts.width, height=facts.height, size=size)


def store_original(*, post_id: int, path: Path, accepted: AcceptedFile) -> str:
    """Save the original, privately, under a name that says nothing about the uploader's file name."""
    extension = _EXTENSIONS.get(accepted.format) or _VIDEO_EXTENSIONS.get(accepted.format, ".mp4")
    with path.open("rb") as handle:
        return originals_storage().save(f"posts/{post_id}/{secrets.token_hex(12)}{extension}", File(handle))
