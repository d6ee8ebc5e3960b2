"""Background work of imports and exports (queue: default). Tasks ack late and are idempotent: an
import resumes at its first pending work, an export that was already built is not built again."""

from celery import shared_task

from atelier.portability.exporting import archive_export_build, expired_exports_purge
from atelier.portability.running import archive_import_run, stale_imports_purge


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=540)
def run_archive_import(import_id: int) -> bool:
    """One slice of an import; queues the next slice until every chosen work is done."""
    finished = archive_import_run(import_id=import_id)
    if not finished:
        run_archive_import.delay(import_id)
    return finished


# Copying every original of a large portfolio into one ZIP can take a while on two cores.
@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def build_archive_export(export_id: int) -> bool:
    return archive_export_build(export_id=export_id)


@shared_task
def purge_portability_files() -> int:
    """Hourly: exports past their link's expiry and archives scanned but never started are deleted."""
    return expired_exports_purge() + stale_imports_purge()
