from celery import shared_task

from atelier.jobs.alerts import saved_search_alerts_send
from atelier.jobs.services import jobs_close_expired


@shared_task(time_limit=600, soft_time_limit=540)
def close_expired_jobs() -> int:
    """Beat runs this hourly (config.settings.base.CELERY_BEAT_SCHEDULE): expired jobs leave the list."""
    return jobs_close_expired()


@shared_task(time_limit=1800, soft_time_limit=1700)
def send_job_alerts() -> int:
    """Beat runs this daily; safe to run twice."""
    return saved_search_alerts_send()
