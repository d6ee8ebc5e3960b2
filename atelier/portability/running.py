"""The worker's side of an import: the chosen works, one after another, in time-boxed slices.

Each slice imports pending works until PORTABILITY_SLICE_SECONDS have passed and returns; the task
queues the next slice, so a long import never meets a task time limit, and a worker that dies
resumes at the first work not yet done (each work is committed on its own).
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from atelier.albums import services as albums
from atelier.core.email import queue_templated_email
from atelier.media.storages import delete_stored_files, original_as_local_file
from atelier.portability.archives import ArchiveRefused, SafeZip
from atelier.portability.importing import Quota, import_work
from atelier.portability.models import ArchiveImport, FoundWorkRow, ImportState, Source, WorkState

logger = logging.getLogger(__name__)


def archive_import_run(*, import_id: int, clock=time.monotonic) -> bool:
    """Import the next pending works for at most PORTABILITY_SLICE_SECONDS; True when the import is over."""
    run = ArchiveImport.objects.select_related("owner").filter(pk=import_id, state=ImportState.IMPORTING).first()
    if run is None:
        return True  # finished, discarded, or delivered twice after the end
    deadline = clock() + settings.PORTABILITY_SLICE_SECONDS
    quota = Quota.for_owner(run.owner)
    try:
        with original_as_local_file(run.archive_name) as path, SafeZip(path) as archive:
            label = Source(run.source).label
            rows = run.works.filter(state=WorkState.PENDING, selected=True).order_by("position")
            for row in rows.iterator(chunk_size=50):
                state = _import_one(archive, run, row, label, quota)
                counted = {"imported": F("imported") + 1} if state == WorkState.IMPORTED else {}
                counted |= {"failed": F("failed") + 1} if state == WorkState.FAILED else {}
                ArchiveImport.objects.filter(pk=run.pk).update(processed=F("processed") + 1, **counted)
                if clock() >= deadline:
                    return False  # the task queues the next slice
    except (ArchiveRefused, OSError) as error:
        logger.warning("archive import %s could not read its archive: %s", run.pk, error)
        return _end(run, ImportState.FAILED, "The archive could not be read any more; what was imported is kept.")
    if run.source == Source.ATELIER:
        _rebuild_albums(run)
    return _end(run, ImportState.DONE, "")


def _import_one(archive: SafeZip, run: ArchiveImport, row: FoundWorkRow, label: str, quota: Quota) -> str:
    try:
        return import_work(
            archive=archive,
            row=row,
            owner=run.owner,
            source=run.source,
            source_label=label,
            include_location=run.include_location,
            quota=quota,
        )
    except Exception:  # one work's unexpected failure must not stop the other thousand
        logger.exception("archive import %s: work %s failed", run.pk, row.pk)
        FoundWorkRow.objects.filter(pk=row.pk).update(
            state=WorkState.FAILED, message="Something went wrong importing this post."
        )
        return WorkState.FAILED


def _rebuild_albums(run: ArchiveImport) -> None:
    """An Atelier export's albums, pointing at the posts this import made (in the export's order)."""
    new_posts = {
        row.details.get("source_post_id"): row.post_id
        for row in run.works.filter(post__isnull=False).only("details", "post_id")
    }
    for album in run.extra.get("albums", []):
        post_ids = [new_posts[old] for old in album["posts"] if old in new_posts]
        with transaction.atomic():
            made = albums.album_create(
                owner=run.owner, title=album["title"], description=album["description"], is_public=album["is_public"]
            )
            for post_id in post_ids:
                albums.album_add_post(album=made, user=run.owner, post_id=post_id)


def _end(run: ArchiveImport, state: str, message: str) -> bool:
    """Close the import once (a task delivered twice finds it closed), drop the ZIP, email the owner."""
    name = run.archive_name
    with transaction.atomic():
        updated = ArchiveImport.objects.filter(pk=run.pk, state=ImportState.IMPORTING).update(
            state=state, message=message, finished_at=timezone.now(), archive_name=""
        )
        if updated:
            run.refresh_from_db()
            transaction.on_commit(lambda: delete_stored_files([], [name]))
            queue_templated_email(
                template="portability/email/import_done",
                context={
                    "run": run,
                    "user": run.owner,
                    "url": settings.SITE_URL + reverse("portability:import", args=[run.pk]),
                },
                to=run.owner.email,
            )
    return True


def stale_imports_purge(*, now=None) -> int:
    """Scanned archives nobody started within PORTABILITY_SCANNED_KEEP_SECONDS are discarded."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.PORTABILITY_SCANNED_KEEP_SECONDS)
    names = []
    for run in ArchiveImport.objects.filter(state=ImportState.SCANNED, created_at__lt=cutoff):
        names.append(run.archive_name)
        ArchiveImport.objects.filter(pk=run.pk, state=ImportState.SCANNED).update(
            state=ImportState.DISCARDED, archive_name=""
        )
    delete_stored_files([], [name for name in names if name])
    return len(names)
