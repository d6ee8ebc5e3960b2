"""Media processing lost with a worker killed whole (or an enqueue that failed) is handed out again.

A pool process killed mid-task gives its message back by itself (acks late, reject on worker lost);
these tests cover what that misses: the item is left uploaded or processing with no task anywhere.
"""

from datetime import timedelta

from django.utils import timezone

from atelier.posts.media_states import MediaState
from atelier.posts.models import MediaItem
from atelier.posts.processing import media_item_report_progress, media_items_stalled_claim
from atelier.posts.tasks import requeue_stalled_media
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import add_file


def untouched_for(item: MediaItem, seconds: int) -> None:
    MediaItem.objects.filter(pk=item.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))


def test_an_upload_whose_task_was_lost_is_processed_by_the_sweep(draft, capture, settings):
    item = add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture, process=False)
    assert item.state == MediaState.UPLOADED
    assert requeue_stalled_media() == 0  # fresh: its task may still be in the queue
    untouched_for(item, settings.MEDIA_STALLED_SECONDS + 1)
    assert requeue_stalled_media() == 1
    item.refresh_from_db()
    assert item.state == MediaState.READY
    untouched_for(item, settings.MEDIA_STALLED_SECONDS + 1)
    assert requeue_stalled_media() == 0  # ready items are never taken again


def test_a_task_killed_mid_render_is_taken_up_again(draft, capture, settings):
    item = add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture, process=False)
    MediaItem.objects.filter(pk=item.pk).update(state=MediaState.PROCESSING)  # as the killed task left it
    untouched_for(item, settings.MEDIA_STALLED_SECONDS + 1)
    assert requeue_stalled_media() == 1
    item.refresh_from_db()
    assert item.state == MediaState.READY


def test_each_stalled_item_is_claimed_once_per_period(draft, capture, settings):
    """A long queue still draining gets at most one extra delivery of an item per period."""
    item = add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture, process=False)
    untouched_for(item, settings.MEDIA_STALLED_SECONDS + 1)
    assert media_items_stalled_claim() == [(item.pk, item.version)]
    assert media_items_stalled_claim() == []


def test_a_long_video_reporting_progress_is_not_stalled(draft, capture, settings):
    item = add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture, process=False)
    MediaItem.objects.filter(pk=item.pk).update(state=MediaState.PROCESSING)
    untouched_for(item, settings.MEDIA_STALLED_SECONDS + 1)
    media_item_report_progress(item.pk, item.version, 0.5)
    assert media_items_stalled_claim() == []


def test_a_stale_version_is_claimed_with_its_current_version_only(draft, capture, settings):
    item = add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture, process=False)
    MediaItem.objects.filter(pk=item.pk).update(version=item.version + 1)
    untouched_for(item, settings.MEDIA_STALLED_SECONDS + 1)
    assert media_items_stalled_claim() == [(item.pk, item.version + 1)]
