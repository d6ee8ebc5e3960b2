"""The style cloak on the site: choices, queueing, and the worker step that swaps public renditions.

The original upload is never touched: the cloaked pixels are a second private file, and the public
renditions (and covers) are re-made from it in one transaction (`posts.items.media_item_swap_source`),
so until a cloak finishes the post keeps showing what it showed before. Every request (cloak,
re-cloak, un-cloak) raises `ItemCloak.version`; a task for an older version does nothing.

The engine (and torch) is imported only inside the worker step, never by web processes.
"""

import io
import logging
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from PIL import Image, ImageOps

from atelier.media.models import MediaItem, MediaKind
from atelier.media.states import MediaState
from atelier.media.storages import delete_stored_files, original_as_local_file, originals_storage
from atelier.posts.items import media_item_swap_source
from atelier.posts.models import Post
from atelier.protection.cloak.models import CloakPreference, CloakState, ItemCloak, PostCloak, Strength
from atelier.protection.cloak.tiling import tile_count

logger = logging.getLogger(__name__)

NOT_STILL = "Only still images can be cloaked; animated GIFs and videos are shown as uploaded."
TOO_SLOW = "Cloaking this image took longer than the time limit. Try the low strength, or a smaller image."
UNEXPECTED = "Something went wrong while cloaking this image. Try again with “Re-cloak”."
UNAVAILABLE = "The style cloak is not available on this instance: its worker is not installed here."
PROGRESS_EVERY_SECONDS = 2.0


class _Superseded(Exception):
    """The request changed while the worker was cloaking (un-cloaked, re-cloaked, item gone)."""


# --- choices


def preference_for(user) -> CloakPreference:
    return CloakPreference.objects.filter(user=user).first() or CloakPreference(user=user)


def preference_save(*, user, cloak_new_work: bool, strength: str) -> CloakPreference:
    if strength not in Strength.values:
        raise ValidationError("Choose low, default or high.")
    preference, _ = CloakPreference.objects.update_or_create(
        user=user, defaults={"cloak_new_work": cloak_new_work, "strength": strength}
    )
    return preference


def post_choice(post: Post) -> PostCloak:
    """The post's own choice, or (not saved) its author's default for new work."""
    choice = PostCloak.objects.filter(post=post).first()
    if choice is None:
        preference = preference_for(post.author)
        choice = PostCloak(post=post, enabled=preference.cloak_new_work, strength=preference.strength)
    return choice


def post_set_cloak(*, post: Post, user, enabled: bool, strength: str) -> PostCloak:
    """The composer's toggle: cloak every still image of the post (now and as they are added), or un-cloak."""
    if post.author_id != user.pk:
        raise PermissionDenied("Only the author can change the cloak of a post.")
    if enabled and not settings.CLOAK_AVAILABLE:
        raise ValidationError(UNAVAILABLE)
    if strength not in Strength.values:
        raise ValidationError("Choose low, default or high.")
    choice, _ = PostCloak.objects.update_or_create(post=post, defaults={"enabled": enabled, "strength": strength})
    transaction.on_commit(lambda: cloak_sync_post(post_id=post.pk))
    return choice


def item_recloak(*, item: MediaItem, user) -> ItemCloak:
    """Run the cloak again on one image (after a failure, or to refresh it), at the post's strength."""
    if item.post.author_id != user.pk:
        raise PermissionDenied("Only the author can re-cloak an image.")
    if not settings.CLOAK_AVAILABLE:
        raise ValidationError(UNAVAILABLE)
    choice = post_choice(item.post)
    if not choice.enabled:
        raise ValidationError("Turn the cloak on for this post first.")
    if item.kind != MediaKind.IMAGE:
        raise ValidationError(NOT_STILL)
    return _request(item, choice.strength, force=True)


# --- keeping items in step with the choice


def cloak_when_ready(sender, *, item_id: int, **kwargs) -> None:
    """Receiver of media.processing.still_image_ready (connected in CloakConfig.ready)."""
    item_became_ready(item_id=item_id)


def item_became_ready(*, item_id: int) -> None:
    """Called (after commit) when processing made a still image ready: cloak it if its post wants that."""
    item = MediaItem.objects.select_related("post__author").filter(pk=item_id, kind=MediaKind.IMAGE).first()
    if item is None:
        return
    choice = post_choice(item.post)
    if choice.enabled:
        # A job left waiting because the item was being re-processed goes out again now.
        waiting = ItemCloak.objects.filter(item=item, state=CloakState.QUEUED).exists()
        _request(item, choice.strength, force=waiting)


def cloak_sync_post(*, post_id: int) -> None:
    """Bring every item of the post in line with its choice: cloak, refuse with the reason, or un-cloak."""
    post = Post.objects.select_related("author").filter(pk=post_id).first()
    if post is None:
        return
    choice = post_choice(post)
    for item in MediaItem.objects.filter(post=post).exclude(kind=MediaKind.EMBED):
        if not choice.enabled:
            _remove(item)
        elif item.kind != MediaKind.IMAGE:
            ItemCloak.objects.update_or_create(
                item=item, defaults={"state": CloakState.REFUSED, "message": NOT_STILL, "strength": choice.strength}
            )
        elif item.state == MediaState.READY:
            _request(item, choice.strength)
        # Images still processing are cloaked when they become ready (item_became_ready).


def _estimated_seconds(item: MediaItem) -> int:
    width, height = _working_size(item.width or 1, item.height or 1)
    return tile_count(width, height) * settings.CLOAK_SECONDS_PER_TILE


def _working_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, settings.CLOAK_MAX_LONG_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _request(item: MediaItem, strength: str, *, force: bool = False) -> ItemCloak:
    from atelier.protection.cloak import tasks

    if not settings.CLOAK_AVAILABLE:
        # An account default or an older choice asks for it, but no worker would ever take the job.
        cloak, _ = ItemCloak.objects.update_or_create(
            item=item, defaults={"state": CloakState.REFUSED, "message": UNAVAILABLE, "strength": strength}
        )
        return cloak
    with transaction.atomic():
        ItemCloak.objects.get_or_create(item=item, defaults={"state": CloakState.REMOVED, "version": 0})
        cloak = ItemCloak.objects.select_for_update().get(item=item)
        wanted = cloak.state in (CloakState.QUEUED, CloakState.RUNNING, CloakState.DONE) and cloak.strength == strength
        if wanted and not force:
            return cloak
        cloak.version += 1
        cloak.strength = strength
        cloak.state = CloakState.QUEUED
        cloak.progress, cloak.attempts, cloak.message = 0.0, 0, ""
        cloak.eta_seconds = _estimated_seconds(item)
        cloak.requested_at, cloak.started_at, cloak.finished_at = timezone.now(), None, None
        cloak.save()
        version = cloak.version
        transaction.on_commit(lambda: tasks.cloak_media_item.delay(item.pk, version))
    return cloak


def _remove(item: MediaItem) -> None:
    from atelier.protection.cloak import tasks

    with transaction.atomic():
        cloak = ItemCloak.objects.select_for_update().filter(item=item).first()
        if cloak is None or cloak.state == CloakState.REMOVED:
            return
        cloak.version += 1
        cloak.state, cloak.progress, cloak.eta_seconds, cloak.message = CloakState.REMOVED, 0.0, None, ""
        cloak.save()
        version = cloak.version
        if item.public_source_name:
            transaction.on_commit(lambda: tasks.uncloak_media_item.delay(item.pk, version))


# --- the worker


def media_item_cloak(*, item_id: int, version: int) -> bool:
    """Cloak one image for request `version` and swap its public renditions. True when it did."""
    with transaction.atomic():
        cloak = ItemCloak.objects.select_for_update().filter(item_id=item_id, version=version).first()
        if cloak is None or cloak.state not in (CloakState.QUEUED, CloakState.RUNNING):
            return False  # superseded, or already finished by an earlier delivery
        if cloak.attempts >= settings.CLOAK_MAX_ATTEMPTS:
            cloak.state, cloak.message = CloakState.FAILED, UNEXPECTED
            cloak.save(update_fields=["state", "message"])
            return False
        cloak.state, cloak.started_at, cloak.progress = CloakState.RUNNING, timezone.now(), 0.0
        cloak.attempts = F("attempts") + 1
        cloak.save(update_fields=["state", "started_at", "progress", "attempts"])
    item = MediaItem.objects.filter(pk=item_id, kind=MediaKind.IMAGE, state=MediaState.READY).first()
    if item is None:
        _finish(item_id, version, CloakState.QUEUED, "")  # cloaked once the item is ready again
        return False
    try:
        result = _cloak_pixels(item, version, cloak.strength)
    except _Superseded:
        return False
    except Exception as error:
        from atelier.protection.cloak.engine import CloakRefused

        if isinstance(error, CloakRefused):
            _finish(item_id, version, CloakState.REFUSED, str(error))
        elif type(error).__name__ == "SoftTimeLimitExceeded":
            _finish(item_id, version, CloakState.FAILED, TOO_SLOW)
        else:
            logger.exception("Cloaking media item %s (request %s) failed", item_id, version)
            _finish(item_id, version, CloakState.FAILED, UNEXPECTED)
        return False
    return _publish(item, version, result)


def _cloak_pixels(item: MediaItem, version: int, strength: str):
    from atelier.protection.cloak.engine import check_cloakable, cloak_image

    with original_as_local_file(item.original_name) as path, Image.open(path) as opened:
        check_cloakable(opened)
        image = ImageOps.exif_transpose(opened)
        image.load()
    width, height = _working_size(*image.size)
    if (width, height) != image.size:
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    started, reported = time.monotonic(), [0.0]

    def on_progress(fraction: float) -> None:
        now = time.monotonic()
        if now - reported[0] < PROGRESS_EVERY_SECONDS and fraction < 1:
            return
        reported[0] = now
        elapsed = now - started
        eta = round(elapsed / fraction * (1 - fraction)) if fraction > 0 else None
        updated = ItemCloak.objects.filter(item_id=item.pk, version=version, state=CloakState.RUNNING).update(
            progress=min(1.0, fraction), eta_seconds=eta, tiles=tile_count(width, height)
        )
        if not updated:
            raise _Superseded

    return cloak_image(
        image, strength=strength, seed=item.pk, progress=on_progress, step_scale=settings.CLOAK_STEP_SCALE
    )


def _publish(item: MediaItem, version: int, result) -> bool:
    buffer = io.BytesIO()
    result.image.save(buffer, "PNG")  # lossless, alpha kept, no metadata carried over
    name = originals_storage().save(
        f"cloaks/{item.post_id}/{item.pk}-{secrets.token_hex(8)}.png", ContentFile(buffer.getvalue())
    )
    previous = item.public_source_name

    def claim() -> bool:
        # Inside the swap's transaction: the request is still this one, so the swap and "done" land together.
        return bool(
            ItemCloak.objects.filter(item_id=item.pk, version=version, state=CloakState.RUNNING).update(
                state=CloakState.DONE,
                progress=1.0,
                eta_seconds=None,
                cloaked_name=name,
                psnr=result.psnr,
                ssim=result.ssim,
                max_change=result.max_change,
                seconds=result.seconds,
                tiles=result.tiles,
                finished_at=timezone.now(),
                message="",
            )
        )

    if not media_item_swap_source(item_id=item.pk, source_name=name, still_wanted=claim):
        delete_stored_files([], [name])
        return False
    if previous and previous != name:
        transaction.on_commit(lambda: delete_stored_files([], [previous]))
    return True


def _finish(item_id: int, version: int, state: str, message: str) -> None:
    ItemCloak.objects.filter(item_id=item_id, version=version).update(
        state=state, message=message[:300], eta_seconds=None, finished_at=timezone.now()
    )


def media_item_uncloak(*, item_id: int, version: int) -> bool:
    """Make the public renditions from the original again; the cloaked file is deleted after."""
    item = MediaItem.objects.filter(pk=item_id).first()
    if item is None or not item.public_source_name:
        return False
    previous = item.public_source_name

    def still_removed() -> bool:
        return ItemCloak.objects.filter(item_id=item_id, version=version, state=CloakState.REMOVED).exists()

    if not media_item_swap_source(item_id=item_id, source_name="", still_wanted=still_removed):
        return False
    ItemCloak.objects.filter(item_id=item_id, version=version).update(cloaked_name="")
    delete_stored_files([], [previous])
    return True


def requeue_stalled() -> int:
    """Hand out again what a killed worker left: running past the time limit, or queued for an hour
    without starting (a lost message). The version stays, so the job resumes; nothing public changed."""
    from atelier.protection.cloak import tasks

    now = timezone.now()
    limit = timedelta(seconds=settings.CLOAK_TIME_LIMIT_SECONDS + 300)
    stalled_running = Q(state=CloakState.RUNNING, started_at__lt=now - limit)
    lost_queued = Q(state=CloakState.QUEUED, requested_at__lt=now - timedelta(hours=1))
    stalled = list(ItemCloak.objects.filter(stalled_running | lost_queued).values_list("item_id", "version"))
    for item_id, version in stalled:
        ItemCloak.objects.filter(item_id=item_id, version=version).update(state=CloakState.QUEUED, requested_at=now)
        tasks.cloak_media_item.delay(item_id, version)
    return len(stalled)
