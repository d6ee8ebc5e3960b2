"""The periodic sweep for AI checks nobody is running any more.

The detection task retries a crash or a time-out itself, with backoff (`tasks.detect_media_item`),
but it can give up (DETECTION_RETRIES spent) or be lost outright (a broker restart, a worker killed
between two tries): the item's check then stays `pending` or `error`, its post `checking` — private,
never published — and nothing would ever move it. Every few minutes (the `sweep-stale-checks` beat
entry) this finds the items of checking posts whose check has not been heard of for
DETECTION_SWEEP_STALE_SECONDS and queues their check again, up to DETECTION_SWEEP_REQUEUES times.
After that the item's check is `stuck`: the post still stays private, its author is told (the banner
and a notification) and a moderator's queue gets the post to check by hand; the sweep keeps queueing
the check, every DETECTION_SWEEP_STUCK_SECONDS, so a detector back up clears it on its own.

Time is read from the configured clock (`core.clock`), so tests cross the deadlines by moving it.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from atelier.core.clock import configured_clock
from atelier.media.models import MediaItem
from atelier.media.states import CheckState
from atelier.moderation import services as moderation
from atelier.posts import media_checks
from atelier.posts.models import PostState
from atelier.protection.detection.models import CheckRun

logger = logging.getLogger(__name__)

WAITING = (CheckState.PENDING, CheckState.ERROR, CheckState.STUCK)
STUCK_REASON = (
    "Atelier's AI check could not run on this work after {tries} tries. It stays private until a "
    "check clears it: the check is still retried, and a moderator can check it by hand."
)


def now() -> datetime:
    return datetime.fromtimestamp(configured_clock().now(), tz=UTC)


def check_heard(*, item_id: int, fresh: bool = False) -> None:
    """An item's check was queued (`fresh`: a new original, the sweep's count starts again) or a try of
    it started: the sweep leaves it alone for DETECTION_SWEEP_STALE_SECONDS."""
    fields = {"heard_at": now(), **({"requeues": 0} if fresh else {})}
    if CheckRun.objects.filter(item_id=item_id).update(**fields) or not MediaItem.objects.filter(pk=item_id).exists():
        return  # recorded, or the item is gone (deleted before its check ran): nothing to sweep
    try:
        with transaction.atomic():
            CheckRun.objects.create(item_id=item_id, **fields)
    except IntegrityError:
        logger.info("Item %s was recorded by another try, or deleted, meanwhile", item_id)


@dataclass
class Swept:
    requeued: list[int] = field(default_factory=list)  # items whose check was queued again
    stuck: list[int] = field(default_factory=list)  # items that spent their budget in this sweep
    told: list[int] = field(default_factory=list)  # posts whose author was told and a case opened


def sweep_stale_checks(*, queue_check: Callable[[int], object]) -> Swept:
    """Queue again (`queue_check(item_id)`, after the commit: the detection task's `delay`) every
    stale check of a checking post; mark the ones past their budget `stuck` (one case and one
    notification per post). Never publishes anything: a post goes public only when a check records
    a verdict that lets it through (`posts.visibility.refresh`)."""
    at = now()
    stale_before = at - timedelta(seconds=settings.DETECTION_SWEEP_STALE_SECONDS)
    stuck_before = at - timedelta(seconds=settings.DETECTION_SWEEP_STUCK_SECONDS)
    waiting = list(
        MediaItem.objects.filter(post__state=PostState.CHECKING, ai_check__in=WAITING).select_related("post")
    )
    runs = {run.item_id: run for run in CheckRun.objects.filter(item_id__in=[item.pk for item in waiting])}
    swept = Swept()
    for item in waiting:
        run = runs.get(item.pk)
        deadline = stuck_before if item.ai_check == CheckState.STUCK else stale_before
        if run is not None and run.heard_at > deadline:
            continue  # queued or tried recently: a retry chain may still be alive
        requeues = run.requeues if run is not None else 0
        with transaction.atomic():
            if item.ai_check != CheckState.STUCK and requeues >= settings.DETECTION_SWEEP_REQUEUES:
                _give_up(item, tries=requeues + 1, swept=swept)
            CheckRun.objects.update_or_create(item_id=item.pk, defaults={"heard_at": at, "requeues": requeues + 1})
            item_id = item.pk
            transaction.on_commit(lambda item_id=item_id: queue_check(item_id))
        swept.requeued.append(item.pk)
    if swept.requeued:
        logger.warning("Detection sweep queued %s stale check(s) again; %s now stuck", len(swept.requeued), swept.stuck)
    return swept


def _give_up(item: MediaItem, *, tries: int, swept: Swept) -> None:
    """The item's check is `stuck` (the post stays checking: private); the first stuck item of a post
    opens its case for a moderator and tells its author."""
    post_already_told = MediaItem.objects.filter(post_id=item.post_id, ai_check=CheckState.STUCK).exists()
    media_checks.item_check_record(item_id=item.pk, check=CheckState.STUCK)
    swept.stuck.append(item.pk)
    if not post_already_told:
        moderation.case_open_unchecked(post=item.post, reason=STUCK_REASON.format(tries=tries))
        swept.told.append(item.post_id)
