"""Imports and moves: what people do on the portability pages, and what the worker does for them.

An upload is scanned in the request (only the ZIP's directory and JSON are read, so the preview
comes in seconds), then stored privately. Starting it queues the worker, which imports the chosen
works in slices of at most PORTABILITY_SLICE_SECONDS and queues itself again, so a long import never
hits a task time limit and a worker that dies resumes at the first work not yet done.
"""

import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from atelier.core.ratelimit import RateLimit, RateLimited
from atelier.media.intake import upload_as_local_path
from atelier.media.storages import delete_stored_files, originals_storage
from atelier.portability import instagram, moving, twitter
from atelier.portability.archives import ArchiveRefused, SafeZip
from atelier.portability.models import (
    ArchiveExport,
    ArchiveImport,
    ExportState,
    FoundWorkRow,
    ImportedWork,
    ImportState,
    ProfileMove,
    Source,
    WorkState,
)
from atelier.portability.previews import thumbnails_prepare
from atelier.portability.scanning import OPTIONAL_KINDS, POST_KINDS
from atelier.portability.tasks import build_archive_export, run_archive_import

logger = logging.getLogger(__name__)
_READERS = {Source.INSTAGRAM: instagram.scan, Source.X: twitter.scan, Source.ATELIER: moving.scan}
_ACTIVE = (ImportState.SCANNED, ImportState.IMPORTING)


def _require_owner(run: ArchiveImport, user) -> None:
    if run.owner_id != getattr(user, "pk", None):
        raise PermissionDenied("This import is not yours.")


def archive_import_create(*, owner, upload, source: str) -> ArchiveImport:
    """Scan an uploaded archive and keep it for the import; refused archives leave nothing behind."""
    per_user = RateLimit("portability-import", settings.PORTABILITY_IMPORTS_PER_DAY, 24 * 3600)
    if per_user.hit(str(owner.pk)) > per_user.limit:
        raise RateLimited("You have uploaded many archives today. Try again tomorrow.", per_user.retry_after())
    if upload.size > settings.PORTABILITY_ARCHIVE_MAX_BYTES:
        raise ValidationError(
            "This archive is %(size)s; the limit is %(limit)s. Instagram and X let you download your "
            "information in several parts: upload them one by one.",
            code="too_big",
            params={
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.PORTABILITY_ARCHIVE_MAX_BYTES),
            },
        )
    if ArchiveImport.objects.filter(owner=owner, state=ImportState.IMPORTING).exists():
        raise ValidationError("An import is already running. Wait for it to finish.", code="busy")
    with upload_as_local_path(upload) as path, SafeZip(path) as archive:
        found = _READERS[source](archive) if source in _READERS else None
        if found is None:
            raise ValidationError("Choose where the archive comes from.", code="bad_source")
        if not any(not work.problem for work in found.works):
            raise ArchiveRefused("We found no photos or videos to import in this archive.", code="empty_archive")
        # The upload itself, not a copy: a spooled upload is moved into a local storage (no second
        # write of a multi-gigabyte file before the preview), and streamed to S3 otherwise.
        upload.seek(0)
        name = originals_storage().save(f"imports/{owner.pk}/{secrets.token_hex(12)}.zip", upload)
        try:
            with transaction.atomic():
                run = ArchiveImport.objects.create(
                    owner=owner,
                    source=source,
                    archive_name=name,
                    archive_bytes=upload.size,
                    skipped_counts=found.skipped,
                    notes=found.notes[:20],
                    extra=found.extra,
                )
                already = set(
                    ImportedWork.objects.filter(owner=owner, source=source).values_list("source_id", flat=True)
                )
                rows = FoundWorkRow.objects.bulk_create(
                    [_row(run, position, work, already) for position, work in enumerate(found.works)], batch_size=500
                )
        except Exception:
            delete_stored_files([], [name])
            raise
        thumbnails_prepare(archive=archive, import_id=run.pk, rows=rows)
    return run


def _row(run: ArchiveImport, position: int, work, already: set) -> FoundWorkRow:
    row = FoundWorkRow(
        archive_import=run,
        position=position,
        source_id=work.source_id[:120] or f"none:{position}",
        kind=work.kind,
        taken_at=work.taken_at,
        caption=work.caption,
        files=work.files[:20],
        location=work.location[:60],
        details=work.details,
        selected=work.kind in POST_KINDS,
    )
    if work.problem:
        row.state, row.selected, row.message = WorkState.FAILED, False, work.problem
    elif work.source_id in already:
        row.state, row.selected, row.message = WorkState.SKIPPED, False, "Already imported."
    elif len(work.files) > 20:
        row.message = f"Only the first 20 of its {len(work.files)} files fit in one post."
    return row


def archive_import_start(
    *, run: ArchiveImport, user, unticked: set[int], kinds: set[str], include_location: bool
) -> ArchiveImport:
    """Record the artist's choices and queue the import. Stories and reels only when chosen."""
    _require_owner(run, user)
    with transaction.atomic():
        owned = list(ArchiveImport.objects.select_for_update().filter(owner=user).order_by("pk"))
        run = next(mine for mine in owned if mine.pk == run.pk)
        if run.state != ImportState.SCANNED:
            raise ValidationError("This import has already started.", code="started")
        if any(other.state == ImportState.IMPORTING for other in owned):
            raise ValidationError("Another import is running. Start this one when it has finished.", code="busy")
        chosen_kinds = set(POST_KINDS) | (set(kinds) & set(OPTIONAL_KINDS))
        pending = run.works.filter(state=WorkState.PENDING)
        pending.update(selected=False)
        pending.filter(kind__in=chosen_kinds).exclude(pk__in=unticked).update(selected=True)
        pending.filter(selected=False).update(state=WorkState.SKIPPED, message="Not chosen.")
        run.total = run.works.filter(state=WorkState.PENDING).count()
        run.state = ImportState.IMPORTING
        run.include_location = include_location
        run.started_at = timezone.now()
        run.save(update_fields=["total", "state", "include_location", "started_at"])
        _queue(run.pk)
    return run


def _queue(import_id: int) -> None:
    transaction.on_commit(lambda: run_archive_import.delay(import_id))


def archive_import_discard(*, run: ArchiveImport, user) -> None:
    """Forget a scanned archive the artist decided not to import: its stored ZIP goes now."""
    _require_owner(run, user)
    with transaction.atomic():
        run = ArchiveImport.objects.select_for_update().get(pk=run.pk)
        if run.state != ImportState.SCANNED:
            raise ValidationError("Only an import that has not started can be discarded.", code="started")
        name = run.archive_name
        run.state, run.archive_name = ImportState.DISCARDED, ""
        run.save(update_fields=["state", "archive_name"])
        transaction.on_commit(lambda: delete_stored_files([], [name]))


def profile_move_set(*, user, url: str) -> ProfileMove | None:
    """Say on the profile that the account moved to `url` (an https address), or clear it with ""."""
    url = url.strip()
    if not url:
        ProfileMove.objects.filter(user=user).delete()
        return None
    URLValidator(schemes=["https"], message="Enter the full https:// address of your new profile.")(url)
    if len(url) > 300:
        raise ValidationError("That address is too long.", code="too_long")
    move, _ = ProfileMove.objects.update_or_create(user=user, defaults={"moved_to": url})
    return move


def archive_export_request(*, owner) -> ArchiveExport:
    """Queue an export of everything the account made; one at a time, a few a day."""
    with transaction.atomic():
        if (
            ArchiveExport.objects.select_for_update()
            .filter(owner=owner, state__in=[ExportState.QUEUED, ExportState.BUILDING])
            .exists()
        ):
            raise ValidationError(
                "Your export is already being prepared; we will email you when it is ready.", code="busy"
            )
        per_user = RateLimit("portability-export", settings.PORTABILITY_EXPORTS_PER_DAY, 24 * 3600)
        if per_user.hit(str(owner.pk)) > per_user.limit:
            raise RateLimited("You have requested several exports today. Try again tomorrow.", per_user.retry_after())
        export = ArchiveExport.objects.create(owner=owner)
        transaction.on_commit(lambda: build_archive_export.delay(export.pk))
    return export
