from celery import shared_task

from atelier.protection.detection.services import media_item_detect


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=280)
def detect_media_item(item_id: int) -> str | None:
    """On the `detection` queue: a slow or stuck detector never delays renditions."""
    return media_item_detect(item_id=item_id)
