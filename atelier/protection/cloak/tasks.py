"""Background work of the style cloak. Cloaking runs on its own `cloak` queue (minutes of CPU per
image); un-cloaking is an ordinary re-render on the media queue. Tasks ack late and reject on a lost
worker, so a worker killed mid-cloak hands the job back and it runs again; `requeue_stalled_cloaks`
catches what even that misses. Public renditions change only when a cloak finishes."""

from celery import shared_task
from django.conf import settings

from atelier.protection.cloak import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=settings.CLOAK_TIME_LIMIT_SECONDS,
    soft_time_limit=settings.CLOAK_TIME_LIMIT_SECONDS - 60,
)
def cloak_media_item(item_id: int, version: int) -> bool:
    return services.media_item_cloak(item_id=item_id, version=version)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def uncloak_media_item(item_id: int, version: int) -> bool:
    return services.media_item_uncloak(item_id=item_id, version=version)


@shared_task
def requeue_stalled_cloaks() -> int:
    return services.requeue_stalled()
