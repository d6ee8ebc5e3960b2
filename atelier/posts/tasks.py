"""Background work on posts (queue: media). Tasks ack late and are idempotent, so a worker that
dies mid-task loses nothing: the broker hands the task out again and it simply runs again."""

from celery import shared_task

from atelier.media.processing import media_items_stalled_claim
from atelier.posts.covers import post_covers_render, post_covers_sign
from atelier.posts.items import media_item_process, media_item_resign


# A ten-minute 4K video may take a while on two cores: far longer than the default limit.
@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def process_media_item(item_id: int, version: int) -> bool:
    return media_item_process(item_id=item_id, version=version)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_post_covers(post_id: int, version: int) -> bool:
    return post_covers_render(post_id=post_id, version=version)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sign_post_covers(post_id: int, version: int) -> bool:
    """Covers drawn before the post's checks settled, signed as stored once it is public."""
    return post_covers_sign(post_id=post_id, version=version)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=580)
def resign_media_item(item_id: int) -> bool:
    """An item rendered before its AI check settled: sign its files (or render an image again) so its
    Content Credentials state the source the evidence now supports (it stays ready meanwhile)."""
    return media_item_resign(item_id=item_id)


@shared_task
def requeue_stalled_media() -> int:
    """Every MEDIA_STALLED_SECONDS / 3 (beat): hand out again the processing of items whose task was
    lost (a worker killed whole, an enqueue that failed), so no upload stays unprocessed for good."""
    claimed = media_items_stalled_claim()
    for item_id, version in claimed:
        process_media_item.delay(item_id, version)
    return len(claimed)
