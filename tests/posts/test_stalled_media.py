"""Media processing lost with a worker killed whole (or an enqueue that failed) is handed out again.

A pool process killed mid-task gives its message back by itself (acks late, reject on worker lost);
these tests cover what that misses: the item is left uploaded or processing with no task anywhere.
"""

from datetime import timedelta

import pytest
import redis.exceptions
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from atelier.media.models import MediaItem
from atelier.media.processing import media_item_report_progress, media_items_stalled_claim
from atelier.media.states import CheckState, MediaState
from atelier.posts.items import media_item_process
from atelier.posts.models import PostState
from atelier.posts.tasks import process_media_item, render_post_covers, requeue_stalled_media
from atelier.protection.detection.models import CheckRun
from atelier.protection.detection.tasks import detect_media_item
from config.celery import OUTAGES
from tests.core.test_outage import closed_port
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import add_file, publish
from tests.s3_stand_in import use_s3_storages


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


def test_one_pass_an_upload_lost_before_its_check_is_checked_as_well_as_rendered(draft, capture, settings, tasks_run):
    """With MEDIA_DETECTION_ONE_PASS the lost task was also the upload's AI check (a media worker
    killed whole mid-check, bench/surge_faults.py). Handing out only the rendering left the item
    ready with its check pending: the post private, `checking`, until the stale-check sweep's
    DETECTION_SWEEP_STALE_SECONDS (45 minutes) had passed."""
    settings.MEDIA_DETECTION_ONE_PASS = True
    item = add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture, process=False)
    post = publish(draft, capture=capture)
    assert post.state == PostState.CHECKING
    untouched_for(item, settings.MEDIA_STALLED_SECONDS + 1)
    with capture(execute=True):
        assert requeue_stalled_media() == 1
    item.refresh_from_db()
    post.refresh_from_db()
    assert item.state == MediaState.READY and item.ai_check == CheckState.PASS
    assert post.state == PostState.PUBLIC
    assert "atelier.protection.detection.tasks.render_and_detect_media_item" in tasks_run


def test_one_pass_a_check_handed_out_again_keeps_the_stale_check_sweeps_count(draft, capture, settings):
    """The same original handed out again is not a new one: the stale-check sweep's count and clock go
    on, so a check that keeps killing its worker still reaches a moderator (`detection.sweep`)."""
    settings.MEDIA_DETECTION_ONE_PASS = True
    settings.DETECTION_CLASSIFIER_THRESHOLD = 0.0  # every work held: the check's verdict is visible
    item = add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture, process=False)
    heard_at = timezone.now() - timedelta(hours=1)
    CheckRun.objects.update_or_create(item_id=item.pk, defaults={"heard_at": heard_at, "requeues": 2})
    untouched_for(item, settings.MEDIA_STALLED_SECONDS + 1)
    with capture(execute=True):
        assert requeue_stalled_media() == 1
    run = CheckRun.objects.get(item_id=item.pk)
    assert (run.requeues, run.heard_at) == (2, heard_at)
    item.refresh_from_db()
    assert item.state == MediaState.READY and item.ai_check == CheckState.HOLD


def test_one_pass_an_upload_lost_after_its_check_is_only_rendered(draft, capture, settings, tasks_run):
    """Killed mid-render, the check's verdict is already recorded: the sweep does not run it twice."""
    settings.MEDIA_DETECTION_ONE_PASS = True
    item = add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture, process=False)
    MediaItem.objects.filter(pk=item.pk).update(state=MediaState.PROCESSING, ai_check=CheckState.PASS)
    untouched_for(item, settings.MEDIA_STALLED_SECONDS + 1)
    tasks_run.clear()
    with capture(execute=True):
        assert requeue_stalled_media() == 1
    item.refresh_from_db()
    assert item.state == MediaState.READY and item.ai_check == CheckState.PASS
    assert "atelier.protection.detection.tasks.render_and_detect_media_item" not in tasks_run
    assert "atelier.protection.detection.tasks.detect_media_item" not in tasks_run


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


def test_processing_during_a_store_outage_is_retried_not_failed(draft, capture, settings, tmp_path):
    """The store unreachable mid-processing is not the file's fault: the item is not marked failed
    (its author would have to upload again); the task raises an error its retry policy covers, and
    once the store answers the same item is processed."""
    item = add_file(draft, quadrant_bytes("PNG", (300, 200)), capture=capture, process=False)
    working = settings.STORAGES
    use_s3_storages(settings, endpoint=f"http://127.0.0.1:{closed_port()}", bucket="gone", media_root=tmp_path)
    with pytest.raises(OUTAGES) as outage:
        media_item_process(item_id=item.pk, version=item.version)
    assert isinstance(outage.value, process_media_item.autoretry_for)
    item.refresh_from_db()
    assert item.state == MediaState.PROCESSING
    assert item.failure_reason == ""
    settings.STORAGES = working  # the store is back
    assert process_media_item.delay(item.pk, item.version).get() is True
    item.refresh_from_db()
    assert item.state == MediaState.READY


def test_every_task_retries_when_the_database_or_broker_drops_out():
    for task in (process_media_item, requeue_stalled_media, detect_media_item, render_post_covers):
        assert {OperationalError, InterfaceError, redis.exceptions.ConnectionError} <= set(task.autoretry_for)
        assert task.max_retries is None or task.max_retries >= 10
