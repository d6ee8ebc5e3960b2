"""Worker side of media items: turning a private original into public renditions.

Tasks call `media_item_process`; it is idempotent (a ready item of the same version is left
alone) and version-checked (renditions of an item that changed meanwhile are thrown away), so a
task that runs twice, or is re-run after a worker died mid-way (tasks ack late), loses nothing.
"""

import logging
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from PIL import Image

from atelier.core.outage import is_backend_outage
from atelier.media import stills
from atelier.media.outage import is_store_outage
from atelier.media.storages import delete_stored_files, open_rendition, original_as_local_file, save_withheld
from atelier.posts import source_types, visibility
from atelier.posts.covers_schedule import post_covers_schedule
from atelier.posts.files import place_post_files, rendition_names, sized_file_names
from atelier.posts.media_states import MediaState, can_transition, transition
from atelier.posts.models import MediaItem, MediaKind, Post
from atelier.protection.shield import content_credentials
from atelier.protection.shield.content_credentials import post_manifest
from atelier.protection.shield.xmp import post_xmp

__all__ = ["media_item_process", "rendition_names", "save_renditions", "signed_file", "sized_file_names"]

logger = logging.getLogger(__name__)

# Sent after commit when processing made a still image ready, with `item_id`. The style cloak
# (protection.cloak.apps) connects to it: posts never imports the cloak, which sits above it.
still_image_ready = Signal()

# What the author reads when something unexpected broke; the details go to the log.
UNEXPECTED_FAILURE = "Something went wrong while processing this file. Try again, or upload it again."


def media_item_process(*, item_id: int, version: int) -> bool:
    """Build one item's renditions. Returns True when it published new renditions."""
    with transaction.atomic():
        item = MediaItem.objects.select_for_update().filter(pk=item_id).first()
        if item is None or item.version != version or item.kind == MediaKind.EMBED:
            return False
        if item.state == MediaState.READY:
            return False  # already done: a duplicate delivery of the task
        if not can_transition(item.state, MediaState.PROCESSING):
            return False
        transition(item, MediaState.PROCESSING)
        item.save(update_fields=["state", "failure_reason", "progress", "updated_at"])

    try:
        with original_as_local_file(item.rendition_source_name) as path:
            renditions, facts = _RENDERERS[item.kind](item, path)
    except ValidationError as error:
        _fail(item_id, version, " ".join(error.messages))
        return False
    except Exception as error:
        if is_store_outage(error) or is_backend_outage(error):
            raise  # not the file's fault: the task tries again when the store or database is back
        logger.exception("Processing media item %s version %s failed", item_id, version)
        _fail(item_id, version, UNEXPECTED_FAILURE)
        return False
    return _publish_renditions(item_id, version, renditions, facts)


def _publish_renditions(item_id: int, version: int, renditions: dict, facts: dict) -> bool:
    with transaction.atomic():
        item = MediaItem.objects.select_for_update().filter(pk=item_id).first()
        if item is None or item.version != version or item.state != MediaState.PROCESSING:
            delete_stored_files(rendition_names(renditions), [])
            return False
        old = rendition_names(item.renditions)
        item.renditions = renditions
        for field, value in facts.items():
            setattr(item, field, value)
        transition(item, MediaState.READY)
        item.save()
        post_id = item.post_id
        visibility.refresh(post_id)
        visibility.announce_change(post_id)
        post_covers_schedule(post_id, changed_item_id=item_id)
        transaction.on_commit(lambda: delete_stored_files(old, []))
        transaction.on_commit(lambda: place_post_files(post_id))
        # Announced after commit: the style cloak (protection.cloak) cloaks a still image of a post
        # that wants it; it connects to this in its own AppConfig.ready().
        if item.kind == MediaKind.IMAGE:
            transaction.on_commit(lambda: still_image_ready.send(sender=MediaItem, item_id=item_id))
    return True


def media_item_swap_source(*, item_id: int, source_name: str, still_wanted) -> bool:
    """Re-render a ready still image from `source_name` (a private file such as the style-cloaked
    pixels; "" for the original) and swap its public renditions, covers included, in one
    transaction: the item stays ready and public throughout, showing the old renditions until then.

    `still_wanted()` is asked inside that transaction; False (the request changed meanwhile, or the
    item did) throws the new renditions away. Returns True when the swap happened."""
    item = MediaItem.objects.filter(pk=item_id, kind=MediaKind.IMAGE, state=MediaState.READY).first()
    if item is None:
        return False
    with original_as_local_file(source_name or item.original_name) as path:
        renditions, _ = _render_image(item, path)
    with transaction.atomic():
        locked = MediaItem.objects.select_for_update().filter(pk=item_id, state=MediaState.READY).first()
        if locked is None or locked.version != item.version or not still_wanted():
            delete_stored_files(rendition_names(renditions), [])
            return False
        old = rendition_names(locked.renditions)
        locked.renditions = renditions
        locked.public_source_name = source_name
        locked.save(update_fields=["renditions", "public_source_name", "updated_at"])
        post_id = locked.post_id
        post_covers_schedule(post_id, changed_item_id=item_id)
        visibility.announce_change(post_id)
        transaction.on_commit(lambda: delete_stored_files(old, []))
        transaction.on_commit(lambda: place_post_files(post_id))
    return True


def _fail(item_id: int, version: int, reason: str) -> None:
    with transaction.atomic():
        item = MediaItem.objects.select_for_update().filter(pk=item_id, version=version).first()
        if item is not None and can_transition(item.state, MediaState.FAILED):
            transition(item, MediaState.FAILED, reason=reason[:300])
            item.save(update_fields=["state", "failure_reason", "progress", "updated_at"])
            visibility.refresh(item.post_id)


def media_item_report_progress(item_id: int, version: int, fraction: float) -> None:
    """Progress is also a heartbeat: a long video that reports is never taken for a stalled task."""
    MediaItem.objects.filter(pk=item_id, version=version, state=MediaState.PROCESSING).update(
        progress=max(0.0, min(1.0, fraction)), updated_at=timezone.now()
    )


def media_items_stalled_claim(*, limit: int = 500) -> list[tuple[int, int]]:
    """(item id, version) of items whose processing task was lost, claimed for one more try.

    Acks-late tasks come back by themselves when a pool process dies (`reject_on_worker_lost`); what
    that misses is a whole worker killed (its unacked message waits out the broker's hour-long
    visibility timeout), an enqueue that failed after the commit (the broker was down), or a
    message lost with the broker's memory. An item uploaded or processing, untouched for
    MEDIA_STALLED_SECONDS, is such a case. Its `updated_at` is moved on as it is claimed, so each
    item is handed out again at most once per period, even while a long queue is still draining
    (a second delivery of the same version is harmless: `media_item_process` finds it ready).
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.MEDIA_STALLED_SECONDS)
    waiting = (MediaState.UPLOADED, MediaState.PROCESSING)
    stalled = MediaItem.objects.filter(state__in=waiting, updated_at__lt=cutoff).exclude(kind=MediaKind.EMBED)
    claimed = []
    for item_id, version in stalled.order_by("updated_at").values_list("pk", "version")[:limit]:
        moved = MediaItem.objects.filter(pk=item_id, version=version, state__in=waiting, updated_at__lt=cutoff)
        if moved.update(updated_at=now):
            claimed.append((item_id, version))
    return claimed


# --- one renderer per kind: (renditions dict, model facts)


def _stem(item: MediaItem) -> str:
    # Unguessable, so knowing one rendition's name does not reveal the next version's.
    return f"posts/{item.post_id}/{item.pk}-{secrets.token_hex(8)}"


def _save_public(name: str, data: bytes) -> str:
    """A new rendition, born withheld: `posts.files` moves it into public storage once the post is public."""
    return save_withheld(name, data)


def save_renditions(
    stem: str, renditions: list[stills.EncodedRendition], *, post: Post | None = None, source: str | None = None
) -> list[dict]:
    """Store each size as WebP (and AVIF where made); the dicts are what templates read. With `post`
    and a `source` type the evidence settled (`source_types.source_type`), each file gets the
    instance-signed C2PA manifest for that post (protection.shield); without one, none."""
    credentials = _manifest(post, source)

    def signed(data: bytes, kind: str) -> bytes:
        return content_credentials.sign(data, kind, credentials) if credentials else data

    saved = []
    for rendition in renditions:
        size = {"w": rendition.width, "h": rendition.height}
        size["name"] = _save_public(f"{stem}-{rendition.width}.webp", signed(rendition.data, "webp"))
        if rendition.avif:
            size["avif"] = _save_public(f"{stem}-{rendition.width}.avif", signed(rendition.avif, "avif"))
        saved.append(size)
    return saved


def _manifest(post: Post | None, source: str | None) -> dict | None:
    if post is None or source is None or not settings.C2PA_CONTENT_CREDENTIALS:
        return None
    return post_manifest(post, source_type=source)


def signed_file(data: bytes, kind: str, post: Post, source: str | None) -> bytes:
    """An animated WebP or an MP4 (which carry no XMP) with the post's signed C2PA manifest, when
    the evidence settled a source type."""
    credentials = _manifest(post, source)
    return content_credentials.sign(data, kind, credentials) if credentials else data


def item_source(item: MediaItem) -> str | None:
    """The source type the item's renditions may be signed with now (its check as committed)."""
    fresh = MediaItem.objects.filter(pk=item.pk).only("ai_check", "said_ai").first() or item
    return source_types.source_type(item.post, [fresh])


def _render_image(item: MediaItem, path: Path) -> tuple[dict, dict]:
    with path.open("rb") as original:
        result = stills.render_stills(original, xmp=post_xmp(item.post))
    stem, source = _stem(item), item_source(item)
    renditions = {
        "sizes": save_renditions(stem, result.renditions, post=item.post, source=source),
        "colour": result.colour,
        "source": source,
    }
    return renditions, {"width": result.width, "height": result.height}


def _render_animation(item: MediaItem, path: Path) -> tuple[dict, dict]:
    from atelier.media import animation

    stem = _stem(item)
    with path.open("rb") as original:
        poster = animation.render_poster(original, crop=None, long_side=stills.RENDITION_LONG_SIDES[0])
    # The still sizes (srcset for reduced motion and for the lightbox) come from the first frame.
    xmp, source = post_xmp(item.post), item_source(item)
    still = stills.render_stills_from_image(poster, xmp=xmp)
    renditions = {
        "sizes": save_renditions(stem, still.renditions, post=item.post, source=source),
        "colour": still.colour,
        "animated": {},
        "source": source,
    }
    long_side = settings.ANIMATION_LONG_SIDE
    with path.open("rb") as original:
        webp = animation.render_animated_webp(original, crop=None, long_side=long_side, xmp=xmp)
    renditions["animated"]["webp"] = _save_public(f"{stem}-anim.webp", signed_file(webp, "webp", item.post, source))
    with tempfile.TemporaryDirectory() as folder, path.open("rb") as original:
        target = Path(folder, "loop.mp4")
        animation.render_animated_mp4(original, target, crop=None, long_side=long_side)
        renditions["animated"]["mp4"] = _save_public(
            f"{stem}-loop.mp4", signed_file(target.read_bytes(), "mp4", item.post, source)
        )
    with Image.open(path) as gif:
        width, height = gif.size
    return renditions, {"width": width, "height": height}


def _render_video(item: MediaItem, path: Path) -> tuple[dict, dict]:
    from atelier.media import transcoding

    stem, source = _stem(item), item_source(item)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder, "video.mp4")
        result = transcoding.transcode_video(
            path,
            target,
            max_height=settings.VIDEO_MAX_HEIGHT,
            on_progress=lambda fraction: media_item_report_progress(item.pk, item.version, fraction * 0.95),
        )
        mp4_name = _save_public(f"{stem}.mp4", signed_file(target.read_bytes(), "mp4", item.post, source))
    still = stills.render_stills_from_image(result.poster, long_sides=(1920, 1280, 640, 320), xmp=post_xmp(item.post))
    renditions = {
        "mp4": mp4_name,
        "sizes": save_renditions(stem, still.renditions, post=item.post, source=source),
        "colour": still.colour,
        "has_audio": result.has_audio,
        "source": source,
    }
    facts = {"width": result.width, "height": result.height, "duration_seconds": result.duration_seconds}
    return renditions, facts


_RENDERERS = {
    MediaKind.IMAGE: _render_image,
    MediaKind.ANIMATION: _render_animation,
    MediaKind.VIDEO: _render_video,
}


def media_item_resign(*, item_id: int) -> bool:
    """Give a ready item's renditions the Content Credentials its evidence now supports. Files stored
    unsigned (rendered before the AI check settled, the usual case: detection runs beside rendering)
    are signed as they are, under new names; an image signed with another claim is rendered again."""
    item = MediaItem.objects.filter(pk=item_id, state=MediaState.READY).exclude(kind=MediaKind.EMBED).first()
    if item is None:
        return False
    source = item_source(item)
    if item.renditions.get("source") == source:
        return False
    if item.renditions.get("source") is None:
        return _sign_stored(item, source)
    if item.kind != MediaKind.IMAGE:
        return False  # a video or loop signed with another claim keeps it until it is rendered again
    source_name = item.public_source_name
    return media_item_swap_source(
        item_id=item_id,
        source_name=source_name,
        still_wanted=lambda: MediaItem.objects.filter(pk=item_id, public_source_name=source_name).exists(),
    )


_SIGNED_KINDS = {".webp": "webp", ".avif": "avif", ".mp4": "mp4"}


def _sign_stored(item: MediaItem, source: str | None) -> bool:
    """Sign each stored file of the item (no manifest yet) with the post's manifest for `source`."""
    credentials = _manifest(item.post, source)
    renamed = {}
    for name in rendition_names(item.renditions):
        kind = _SIGNED_KINDS.get(Path(name).suffix)
        if credentials is None or kind is None:
            continue
        with open_rendition(name) as stored:
            signed = content_credentials.sign(stored.read(), kind, credentials)
        head, tail = name.rsplit("-", 1)  # a new name: a URL never changes what it shows
        renamed[name] = save_withheld(f"{head}-{secrets.token_hex(4)}-{tail}", signed)
    renditions = _renamed(item.renditions, renamed)
    renditions["source"] = source
    with transaction.atomic():
        locked = MediaItem.objects.select_for_update().filter(pk=item.pk, state=MediaState.READY).first()
        if locked is None or locked.version != item.version or locked.renditions != item.renditions:
            delete_stored_files(list(renamed.values()), [])  # changed meanwhile: its own task decides
            return False
        locked.renditions = renditions
        locked.save(update_fields=["renditions", "updated_at"])
        post_id, old = locked.post_id, list(renamed)
        visibility.announce_change(post_id)
        transaction.on_commit(lambda: delete_stored_files(old, []))
        transaction.on_commit(lambda: place_post_files(post_id))
    return True


def _renamed(value, names: dict):
    if isinstance(value, dict):
        return {key: _renamed(inner, names) for key, inner in value.items()}
    if isinstance(value, list):
        return [_renamed(inner, names) for inner in value]
    return names.get(value, value) if isinstance(value, str) else value
