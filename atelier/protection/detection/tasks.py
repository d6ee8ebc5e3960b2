from celery import shared_task

from atelier.protection.detection.services import media_item_detect


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def detect_media_item(item_id: int) -> str | None:
    """On the `detection` queue: a slow or stuck detector never delays renditions."""
    return media_item_detect(item_id=item_id)
