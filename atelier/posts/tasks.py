"""Background work on posts (queue: media). Tasks ack late and are idempotent, so a worker that
dies mid-task loses nothing: the broker hands the task out again and it simply runs again."""

from celery import shared_task
from django.conf import settings

from atelier.media.models import MediaItem
from atelier.media.processing import media_items_stalled_claim
from atelier.media.states import CheckState
from atelier.posts.covers import post_covers_render, post_covers_sign
from atelier.posts.events import item_needs_check
from atelier.posts.items import media_item_process, media_item_resign

# A check with no verdict yet: never run, or failed in the lost task before its retry was queued.
UNCHECKED = (CheckState.PENDING, CheckState.ERROR)


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
    lost (a worker killed whole, an enqueue that failed), so no upload stays unprocessed for good.
    With MEDIA_DETECTION_ONE_PASS the lost task was also the item's AI check when no verdict is
    recorded yet: that item is announced again for one task that checks and renders (as on upload),
    else its post would wait, private, for the stale-check sweep (DETECTION_SWEEP_STALE_SECONDS)."""
    claimed = media_items_stalled_claim()
    unchecked = set()
    if settings.MEDIA_DETECTION_ONE_PASS and claimed:
        waiting = MediaItem.objects.filter(pk__in=[pk for pk, _ in claimed], ai_check__in=UNCHECKED)
        unchecked = set(waiting.values_list("pk", flat=True))
    for item_id, version in claimed:
        if item_id in unchecked:
            item_needs_check.send(sender=MediaItem, item_id=item_id, render_version=version, handed_out_again=True)
        else:
            process_media_item.delay(item_id, version)
    return len(claimed)
