"""Worker side of media items: turning a private original into renditions.

`media_item_process` is idempotent (a ready item of the same version is left alone) and
version-checked (renditions of an item that changed meanwhile are thrown away), so a task that runs
twice, or is re-run after a worker died mid-way (tasks ack late), loses nothing.

Media sits below posts and imports none of it. What rendering needs from the work an item belongs
to — the rights and do-not-train XMP, the Content Credentials it may sign, the source type the
evidence supports — and what the work must hear back (ready, renditions replaced, failed) come
through an `ItemOwner` handed in by the caller: the posts app's tasks pass `posts.items.POST_ITEMS`.
"""

import logging
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from PIL import Image

from atelier.core.outage import is_backend_outage
from atelier.media import content_credentials, stills
from atelier.media.decoding import DecodedOriginal
from atelier.media.models import MediaItem, MediaKind
from atelier.media.outage import is_store_outage
from atelier.media.renditions import rendition_names
from atelier.media.states import MediaState, can_transition, transition
from atelier.media.storages import (
    delete_stored_files,
    files_make_public,
    original_as_local_file,
    save_rendition,
)
from atelier.media.stored_credentials import sign_stored_files, with_new_names
from atelier.media.tasks import replaced_files_delete_later

logger = logging.getLogger(__name__)

# Sent after commit when processing made a still image ready, with `item_id`. The style cloak
# (protection.cloak.apps) connects to it: media never imports the cloak, which sits above it.
still_image_ready = Signal()


class ItemOwner(Protocol):
    """The work an item belongs to, as rendering sees it (posts: `posts.items.PostItems`)."""

    def rights_xmp(self, item: MediaItem) -> bytes:
        """The rights and do-not-train XMP packet written into every still rendition."""

    def credentials(self, item: MediaItem, source: str | None) -> dict | None:
        """The C2PA manifest to sign the item's files with for `source`, or None (sign nothing)."""

    def source_type(self, item: MediaItem) -> str | None:
        """The IPTC source type the evidence lets the instance sign now (None: no claim)."""

    def item_ready(self, item: MediaItem) -> None:
        """Inside the transaction that made the item ready with new renditions."""

    def files_public(self, item: MediaItem) -> bool:
        """Whether the item's files belong in public storage now (its work is public)."""

    def renditions_replaced(self, item: MediaItem, *, pixels_changed: bool) -> None:
        """Inside the transaction that replaced a ready item's renditions (re-rendered, or re-signed)."""

    def item_failed(self, item: MediaItem) -> None:
        """Inside the transaction that marked the item failed."""


# What the author reads when something unexpected broke; the details go to the log.
UNEXPECTED_FAILURE = "Something went wrong while processing this file. Try again, or upload it again."


def media_item_process(*, item_id: int, version: int, owner: ItemOwner, decoded: DecodedOriginal | None = None) -> bool:
    """Build one item's renditions. Returns True when it published new renditions. `decoded`: the
    original's first frame decoded once for this task's steps (media.decoding), used for a still
    image when stills.shares_decode allows."""
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
            # --- shared decode (issue 21): a still image renders from the task's one decode
            if decoded is not None and item.kind == MediaKind.IMAGE and stills.shares_decode(decoded):
                renditions, facts = _render_image(item, path, owner, decoded)
            else:
                renditions, facts = _RENDERERS[item.kind](item, path, owner)
    except ValidationError as error:
        _fail(item_id, version, " ".join(error.messages), owner)
        return False
    except Exception as error:
        if is_store_outage(error) or is_backend_outage(error):
            raise  # not the file's fault: the task tries again when the store or database is back
        logger.exception("Processing media item %s version %s failed", item_id, version)
        _fail(item_id, version, UNEXPECTED_FAILURE, owner)
        return False
    return _publish_renditions(item_id, version, renditions, facts, owner)


def _publish_renditions(item_id: int, version: int, renditions: dict, facts: dict, owner: ItemOwner) -> bool:
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
        owner.item_ready(item)
        transaction.on_commit(lambda: replaced_files_delete_later(old))
        # Announced after commit: the style cloak (protection.cloak) cloaks a still image of a post
        # that wants it; it connects to this in its own AppConfig.ready().
        if item.kind == MediaKind.IMAGE:
            transaction.on_commit(lambda: still_image_ready.send(sender=MediaItem, item_id=item_id))
    return True


def media_item_swap_source(*, item_id: int, source_name: str, still_wanted, owner: ItemOwner) -> bool:
    """Re-render a ready still image from `source_name` (a private file such as the style-cloaked
    pixels; "" for the original) and swap its public renditions, covers included, in one
    transaction: the item stays ready and public throughout, showing the old renditions until then.

    `still_wanted()` is asked inside that transaction; False (the request changed meanwhile, or the
    item did) throws the new renditions away. Returns True when the swap happened."""
    item = MediaItem.objects.filter(pk=item_id, kind=MediaKind.IMAGE, state=MediaState.READY).first()
    if item is None:
        return False
    public = owner.files_public(item)
    with original_as_local_file(source_name or item.original_name) as path:
        renditions, _ = _render_image(item, path, owner, public=public)
    if not public:  # the work may have gone public while they were drawn
        _public_before_named(rendition_names(renditions), item, owner)
    with transaction.atomic():
        locked = MediaItem.objects.select_for_update().filter(pk=item_id, state=MediaState.READY).first()
        if locked is None or locked.version != item.version or not still_wanted():
            delete_stored_files(rendition_names(renditions), [])
            return False
        old = rendition_names(locked.renditions)
        locked.renditions = renditions
        locked.public_source_name = source_name
        locked.save(update_fields=["renditions", "public_source_name", "updated_at"])
        owner.renditions_replaced(locked, pixels_changed=True)
        transaction.on_commit(lambda: replaced_files_delete_later(old))
    return True


def _fail(item_id: int, version: int, reason: str, owner: ItemOwner) -> None:
    with transaction.atomic():
        item = MediaItem.objects.select_for_update().filter(pk=item_id, version=version).first()
        if item is not None and can_transition(item.state, MediaState.FAILED):
            transition(item, MediaState.FAILED, reason=reason[:300])
            item.save(update_fields=["state", "failure_reason", "progress", "updated_at"])
            owner.item_failed(item)


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


def _save_public(name: str, data: bytes, *, public: bool = False) -> str:
    """A new rendition, born withheld: its owner moves it into public storage when the work is public
    (`posts.files`). With `public` (the work is public now) it goes there at once (`save_rendition`)."""
    return save_rendition(name, data, public=public)


def save_renditions(
    stem: str, renditions: list[stills.EncodedRendition], *, credentials: dict | None = None, public: bool = False
) -> list[dict]:
    """Store each size as WebP (and AVIF where made); the dicts are what templates read. With
    `credentials` (the owner's C2PA manifest for the source the evidence settled), each file is
    signed with them; without, none is. `public`: the work is public now (`_save_public`)."""

    def signed(data: bytes, kind: str) -> bytes:
        return content_credentials.sign(data, kind, credentials) if credentials else data

    saved = []
    for rendition in renditions:
        size = {"w": rendition.width, "h": rendition.height}
        size["name"] = _save_public(f"{stem}-{rendition.width}.webp", signed(rendition.data, "webp"), public=public)
        if rendition.avif:
            avif = signed(rendition.avif, "avif")
            size["avif"] = _save_public(f"{stem}-{rendition.width}.avif", avif, public=public)
        saved.append(size)
    return saved


def signed_file(data: bytes, kind: str, credentials: dict | None) -> bytes:
    """An animated WebP or an MP4 (which carry no XMP) signed with `credentials`, when there are any."""
    return content_credentials.sign(data, kind, credentials) if credentials else data


def _render_image(
    item: MediaItem, path: Path, owner: ItemOwner, decoded: DecodedOriginal | None = None, *, public: bool = False
) -> tuple[dict, dict]:
    if decoded is not None:
        result = stills.render_decoded(decoded, xmp=owner.rights_xmp(item))
    else:
        with path.open("rb") as original:
            result = stills.render_stills(original, xmp=owner.rights_xmp(item))
    stem, source = _stem(item), owner.source_type(item)
    renditions = {
        "sizes": save_renditions(stem, result.renditions, credentials=owner.credentials(item, source), public=public),
        "colour": result.colour,
        "source": source,
    }
    return renditions, {"width": result.width, "height": result.height}


def _render_animation(item: MediaItem, path: Path, owner: ItemOwner) -> tuple[dict, dict]:
    from atelier.media import animation

    stem = _stem(item)
    with path.open("rb") as original:
        poster = animation.render_poster(original, crop=None, long_side=stills.RENDITION_LONG_SIDES[0])
    # The still sizes (srcset for reduced motion and for the lightbox) come from the first frame.
    xmp, source = owner.rights_xmp(item), owner.source_type(item)
    credentials = owner.credentials(item, source)
    still = stills.render_stills_from_image(poster, xmp=xmp)
    renditions = {
        "sizes": save_renditions(stem, still.renditions, credentials=credentials),
        "colour": still.colour,
        "animated": {},
        "source": source,
    }
    long_side = settings.ANIMATION_LONG_SIDE
    with path.open("rb") as original:
        webp = animation.render_animated_webp(original, crop=None, long_side=long_side, xmp=xmp)
    renditions["animated"]["webp"] = _save_public(f"{stem}-anim.webp", signed_file(webp, "webp", credentials))
    with tempfile.TemporaryDirectory() as folder, path.open("rb") as original:
        target = Path(folder, "loop.mp4")
        animation.render_animated_mp4(original, target, crop=None, long_side=long_side)
        renditions["animated"]["mp4"] = _save_public(
            f"{stem}-loop.mp4", signed_file(target.read_bytes(), "mp4", credentials)
        )
    with Image.open(path) as gif:
        width, height = gif.size
    return renditions, {"width": width, "height": height}


def _render_video(item: MediaItem, path: Path, owner: ItemOwner) -> tuple[dict, dict]:
    from atelier.media import transcoding

    stem, source = _stem(item), owner.source_type(item)
    credentials = owner.credentials(item, source)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder, "video.mp4")
        result = transcoding.transcode_video(
            path,
            target,
            max_height=settings.VIDEO_MAX_HEIGHT,
            on_progress=lambda fraction: media_item_report_progress(item.pk, item.version, fraction * 0.95),
        )
        mp4_name = _save_public(f"{stem}.mp4", signed_file(target.read_bytes(), "mp4", credentials))
    still = stills.render_stills_from_image(
        result.poster, long_sides=(1920, 1280, 640, 320), xmp=owner.rights_xmp(item)
    )
    renditions = {
        "mp4": mp4_name,
        "sizes": save_renditions(stem, still.renditions, credentials=credentials),
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


def media_item_resign(*, item_id: int, owner: ItemOwner) -> bool:
    """Give a ready item's renditions the Content Credentials its evidence now supports. Files stored
    unsigned (rendered before the AI check settled, the usual case: detection runs beside rendering)
    are signed as they are, under new names; an image signed with another claim is rendered again."""
    item = MediaItem.objects.filter(pk=item_id, state=MediaState.READY).exclude(kind=MediaKind.EMBED).first()
    if item is None:
        return False
    source = owner.source_type(item)
    if item.renditions.get("source") == source:
        return False
    if item.renditions.get("source") is None:
        return _sign_stored(item, source, owner)
    if item.kind != MediaKind.IMAGE:
        return False  # a video or loop signed with another claim keeps it until it is rendered again
    source_name = item.public_source_name
    return media_item_swap_source(
        item_id=item_id,
        source_name=source_name,
        still_wanted=lambda: MediaItem.objects.filter(pk=item_id, public_source_name=source_name).exists(),
        owner=owner,
    )


def _public_before_named(names: list[str], item: MediaItem, owner: ItemOwner) -> None:
    """New files replacing a public item's: into public storage before the row names them. A page
    rendered right after the commit asks for them at once, before the owner's placing after commit
    has run, and the edge keeps that 404 for seconds. Nobody has their URLs before the commit; if the
    work left public view meanwhile, the placing after commit withholds them again."""
    if names and owner.files_public(item):
        files_make_public(names)


def _sign_stored(item: MediaItem, source: str | None, owner: ItemOwner) -> bool:
    """Sign each stored file of the item (no manifest yet) with its owner's manifest for `source`."""
    credentials = owner.credentials(item, source)
    names, public = rendition_names(item.renditions), owner.files_public(item)
    renamed = sign_stored_files(names, credentials, public=public) if credentials else {}
    renditions = with_new_names(item.renditions, renamed)
    renditions["source"] = source
    if not public:
        _public_before_named(list(renamed.values()), item, owner)
    with transaction.atomic():
        locked = MediaItem.objects.select_for_update().filter(pk=item.pk, state=MediaState.READY).first()
        if locked is None or locked.version != item.version or locked.renditions != item.renditions:
            delete_stored_files(list(renamed.values()), [])  # changed meanwhile: its own task decides
            return False
        locked.renditions = renditions
        locked.save(update_fields=["renditions", "updated_at"])
        old = list(renamed)
        owner.renditions_replaced(locked, pixels_changed=False)
        transaction.on_commit(lambda: replaced_files_delete_later(old))
    return True
