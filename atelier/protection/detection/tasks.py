import logging

from celery import shared_task
from django.conf import settings

from atelier.protection.detection import sweep
from atelier.protection.detection.one_pass import already_done, media_item_render_and_detect
from atelier.protection.detection.services import media_item_check_failed, media_item_detect
from atelier.protection.theft.services import item_fingerprint_and_check

logger = logging.getLogger(__name__)


def retry_delay(retries: int) -> int:
    """Seconds before the next try: 30 s, doubling, at most DETECTION_RETRY_MAX_SECONDS."""
    return min(settings.DETECTION_RETRY_FIRST_SECONDS * 2**retries, settings.DETECTION_RETRY_MAX_SECONDS)


def compare_with_public_works(item_id: int) -> None:
    """The art-theft check (protection.theft), run before the AI check is recorded so that a possible
    repost is held while its post is still checking, never after it went public. Its failure never
    stops the AI check."""
    try:
        item_fingerprint_and_check(item_id=item_id)
    except Exception:
        logger.exception("Fingerprinting item %s failed; its AI check goes on", item_id)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=280,
    max_retries=None,
)  # fmt: skip
def detect_media_item(self, item_id: int) -> str | None:
    """On the `detection` queue: a slow or stuck detector never delays renditions, and never publishes
    either. A crash, a time-out (the soft limit raises inside) or an unreadable gating signal leaves
    the item's check at `error` — its post private, its author told — and the task tries again with
    backoff, up to DETECTION_RETRIES times; after that (or when the task is lost) the periodic sweep
    queues it again and, past its budget, tells the author and a moderator (`detection.sweep`)."""
    sweep.check_heard(item_id=item_id)  # a try is alive: the sweep leaves this check alone for a while
    compare_with_public_works(item_id)
    try:
        return media_item_detect(item_id=item_id)
    except Exception as error:
        logger.warning("Detection of item %s failed (try %s): %s", item_id, self.request.retries + 1, error)
        media_item_check_failed(item_id=item_id)
        if self.request.retries >= settings.DETECTION_RETRIES:
            logger.error(
                "Detection of item %s gave up after %s tries; its post stays private", item_id, self.request.retries + 1
            )
            return None
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries)) from error


@shared_task
def sweep_stale_checks() -> int:
    """Every DETECTION_SWEEP_EVERY_SECONDS (beat): queue again the checks nobody is running (`detection.sweep`)."""
    return len(sweep.sweep_stale_checks(queue_check=detect_media_item.delay).requeued)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def render_and_detect_media_item(item_id: int, version: int) -> bool:
    """On the `media` queue, where one worker serves media and detection (MEDIA_DETECTION_ONE_PASS):
    renditions and detection from one decode of the original (one_pass). A detection that did not
    finish goes to `detect_media_item`, with its retries and backoff."""
    if already_done(item_id=item_id, version=version):
        return False
    compare_with_public_works(item_id)
    rendered, detected = media_item_render_and_detect(item_id=item_id, version=version)
    if not detected:
        detect_media_item.apply_async((item_id,), countdown=retry_delay(0))
    return rendered
