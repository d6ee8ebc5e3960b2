from celery import shared_task

from atelier.notifications.digest import digests_send_all


@shared_task(time_limit=1800, soft_time_limit=1700)
def send_daily_digests() -> int:
    """Beat runs this daily (config.settings.base.CELERY_BEAT_SCHEDULE); safe to run twice."""
    return digests_send_all()
