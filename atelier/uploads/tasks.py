from celery import shared_task

from atelier.uploads import services


@shared_task(acks_late=True)
def purge_expired_uploads() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE, queue: default): free the storage of abandoned and used uploads."""
    return services.uploads_purge_expired()
