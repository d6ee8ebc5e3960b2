import logging

from celery import shared_task
from django.conf import settings

from atelier.protection.detection.services import media_item_check_failed, media_item_detect
from atelier.protection.theft.services import item_fingerprint_and_check

logger = logging.getLogger(__name__)


def retry_delay(retries: int) -> int:
    """Seconds before the next try: 30 s, doubling, at most DETECTION_RETRY_MAX_SECONDS."""
    return min(settings.DETECTION_RETRY_FIRST_SECONDS * 2**retries, settings.DETECTION_RETRY_MAX_SECONDS)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=280,
    max_retries=None,
)  # fmt: skip
def detect_media_item(self, item_id: int) -> str | None:
    """On the `detection` queue: a slow or stuck detector never delays renditions, and never publishes
    either. A crash, a time-out (the soft limit raises inside) or an unreadable gating signal leaves
    the item's check at `error` — its post private, its author told — and the task tries again with
    backoff, up to DETECTION_RETRIES times; after that a moderator sees the post stuck in checking."""
    # --- art-theft hook (protection.theft): compared before the AI check is recorded, so a possible
    # repost is held while its post is still checking, never after it went public.
    try:
        item_fingerprint_and_check(item_id=item_id)
    except Exception:
        logger.exception("Fingerprinting item %s failed; its AI check goes on", item_id)
    # --- end of the art-theft hook
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
