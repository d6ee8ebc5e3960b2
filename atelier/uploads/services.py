"""Resumable uploads: create, append, delete; and for consumers, open the finished file and claim it.

A consumer (a post, a profile image, ...) does:

    with upload_open_completed(upload_id=..., user=...) as local_file:
        ...copy or process local_file...
        with transaction.atomic():
            upload_mark_claimed(upload_id=..., user=...)  # locks the row: a second claimer waits, then fails
            ...create what it made of the file...

The claim and what the consumer made must commit together: claimed afterwards, two attaches racing
could both have made their item before either claimed. Claiming does not delete anything: if the
consumer's transaction rolls back, the upload is still whole. The hourly `purge_expired_uploads`
task removes the chunks of claimed uploads later.
"""

import logging
import math
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from atelier.core.ratelimit import RateLimit
from atelier.uploads import chunks, selectors
from atelier.uploads.errors import (
    UploadError,
    UploadGone,
    UploadIncomplete,
    UploadOffsetMismatch,
    UploadRateLimited,
    UploadTooLarge,
)
from atelier.uploads.models import Upload

logger = logging.getLogger(__name__)

_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,48}/[a-z0-9][a-z0-9!#$&^_.+-]{0,48}")
_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")


def _megabytes(size: int) -> str:
    # Rounded up, so a file one byte over a 50 MB limit reads "50.1 MB", not "50 MB".
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:.1f}".removesuffix(".0") + " MB"


def _expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.UPLOAD_EXPIRY_SECONDS)


def clean_filename(name: str) -> str:
    """The last path part, without control characters, at most 255 characters (keeping the extension)."""
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not name:
        return "upload"
    if len(name) > 255:
        suffix = PurePosixPath(name).suffix[:16]
        name = name[: 255 - len(suffix)] + suffix
    return name


def clean_content_type(value: str) -> str:
    """`type/subtype` in lower case, or "" when the browser sent nothing usable."""
    value = value.split(";")[0].strip().lower()
    return value if _MIME_TYPE.fullmatch(value) else ""


def upload_size_limit(*, content_type: str) -> tuple[int, str]:
    """The largest file accepted for this kind, and the word for the kind in messages.

    The type is the browser's claim; consumers still check the real bytes. Unknown types get the
    overall ceiling so a file the browser could not name (HEIC on some systems) still goes through.
    """
    overall = settings.UPLOAD_MAX_BYTES
    if content_type.startswith("image/"):
        return min(settings.UPLOAD_IMAGE_MAX_BYTES, overall), "image"
    if content_type.startswith("video/"):
        return min(settings.UPLOAD_VIDEO_MAX_BYTES, overall), "video"
    return overall, "file"


def upload_create(*, owner, length: int, filename: str, content_type: str) -> Upload:
    """Start an upload of `length` bytes. Limits are checked now, before any byte is sent."""
    if length <= 0:
        raise UploadError("This file is empty.")
    content_type = clean_content_type(content_type)
    limit, kind = upload_size_limit(content_type=content_type)
    if length > limit:
        raise UploadTooLarge(f"This {kind} is {_megabytes(length)}; {kind}s can be at most {_megabytes(limit)}.")
    # Creations, not bytes, are what a script would spam: each one reserves a row and a prefix.
    per_user = RateLimit("upload-create", settings.UPLOAD_CREATIONS_PER_HOUR, 3600)
    if not (decision := per_user.check(str(owner.pk))).allowed:
        wait = decision.retry_after
        raise UploadRateLimited(
            f"You have started too many uploads in the last hour. Try again in {max(1, -(-wait // 60))} minute(s).",
            headers={"Retry-After": str(wait)},
        )
    now = timezone.now()
    return Upload.objects.create(
        owner=owner,
        filename=clean_filename(filename),
        content_type=content_type,
        length=length,
        created_at=now,
        expires_at=_expiry(now),
    )


def _check_append(upload: Upload, *, offset: int, length: int) -> None:
    if offset != upload.offset:
        raise UploadOffsetMismatch(
            f"This chunk starts at byte {offset}, but {upload.offset} bytes have been received. "
            "Ask for the current offset (HEAD) and resume from there."
        )
    if length > settings.UPLOAD_MAX_CHUNK_BYTES:
        raise UploadTooLarge(
            f"This chunk is {_megabytes(length)}; send at most {_megabytes(settings.UPLOAD_MAX_CHUNK_BYTES)} "
            "per request."
        )
    if offset + length > upload.length:
        raise UploadTooLarge(f"This chunk goes past the end of the file, which was declared as {upload.length} bytes.")


def upload_append(*, upload_id, user, offset: int, stream, length: int) -> Upload:
    """Store up to `length` bytes read from `stream` as the chunk at `offset`; return the upload.

    The body is read into a local temporary file before the row is locked, so a slow or stalled
    client never holds a database lock. The offset is checked again under the lock: of two PATCHes
    racing at one offset, one wins and the other gets 409 and resumes from HEAD. If the client
    drops mid-chunk, the bytes that arrived are stored and counted all the same.
    """
    upload = selectors.upload_get_active(upload_id=upload_id, user=user)
    _check_append(upload, offset=offset, length=length)
    if length == 0:
        return upload
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as spool:
        received = chunks.receive(stream=stream, length=length, into=spool)
        if received < length:
            logger.info("upload chunk cut short", extra={"upload_id": str(upload.pk), "received": received})
        if received == 0:
            return upload
        with transaction.atomic():
            upload = selectors.upload_get_active(upload_id=upload_id, user=user, for_update=True)
            _check_append(upload, offset=offset, length=received)
            chunks.chunk_store(upload_id=upload.pk, offset=offset, content=spool)
            now = timezone.now()
            upload.offset = offset + received
            upload.expires_at = _expiry(now)  # progress keeps an upload alive
            if upload.offset == upload.length:
                upload.completed_at = now
            upload.save(update_fields=["offset", "expires_at", "completed_at"])
    return upload


def upload_delete(*, upload_id, user) -> None:
    """Termination: the person cancelled, so the stored bytes go now rather than at expiry."""
    with transaction.atomic():
        upload = selectors.upload_get_active(upload_id=upload_id, user=user, for_update=True)
        chunks.chunks_delete(upload_id=upload.pk)
        upload.delete()


@contextmanager
def upload_open_completed(*, upload_id, user) -> Iterator[IO[bytes]]:
    """A local temporary file holding the finished upload, positioned at the start; removed on exit.

    Raises UploadNotFound, UploadGone (expired or already claimed) or UploadIncomplete. The file has
    a real path (`.name`) for tools that want one; its suffix is the upload's extension.
    """
    upload = selectors.upload_get_active(upload_id=upload_id, user=user)
    if not upload.is_complete:
        raise UploadIncomplete("This file has not finished uploading yet.")
    suffix = PurePosixPath(upload.filename).suffix.lower()
    with tempfile.NamedTemporaryFile(
        suffix=suffix if _SAFE_SUFFIX.fullmatch(suffix) else "", dir=settings.FILE_UPLOAD_TEMP_DIR
    ) as local:
        try:
            chunks.chunks_assemble(upload_id=upload.pk, length=upload.length, into=local)
        except chunks.ChunksMissing:
            logger.exception("upload chunks missing", extra={"upload_id": str(upload.pk)})
            raise UploadGone("This upload's data is no longer available. Choose the file again.") from None
        local.flush()
        local.seek(0)
        yield local


def upload_mark_claimed(*, upload_id, user) -> Upload:
    """Record that a consumer has taken the finished file; it cannot be opened or claimed again.

    Call it inside the transaction that creates what the consumer made of the file, after it has its
    own copy of the bytes: the row lock makes a concurrent claim wait and then fail with UploadGone.
    """
    with transaction.atomic():
        upload = selectors.upload_get_active(upload_id=upload_id, user=user, for_update=True)
        if not upload.is_complete:
            raise UploadIncomplete("This file has not finished uploading yet.")
        upload.claimed_at = timezone.now()
        upload.save(update_fields=["claimed_at"])
    return upload


def uploads_stored_files(*, owner) -> list[str]:
    """Names of the chunk objects behind all of someone's uploads (for deleting their account)."""
    return [
        name
        for upload_id in Upload.objects.filter(owner=owner).values_list("pk", flat=True)
        for name in chunks.chunk_names(upload_id=upload_id)
    ]


def uploads_purge_expired(*, now: datetime | None = None) -> int:
    """Delete the chunk objects, then the rows, of uploads nobody will use; return how many went.

    Chunks go first: if storage fails, the row stays and the next run tries again, rather than
    leaving objects no row points at.
    """
    now = now or timezone.now()
    purged = 0
    for upload_id in list(selectors.uploads_to_purge(now=now).values_list("pk", flat=True)):
        with transaction.atomic():
            # Checked again under the lock, in case it was claimed since the list was read.
            upload = selectors.uploads_to_purge(now=now).select_for_update().filter(pk=upload_id).first()
            if upload is None:
                continue
            chunks.chunks_delete(upload_id=upload.pk)
            upload.delete()
            purged += 1
    return purged
