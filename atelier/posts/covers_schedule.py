"""When a post's thumbnail and cover must be rebuilt, and queuing that work."""

from django.db import transaction

from atelier.media.models import MediaItem, MediaKind
from atelier.posts.models import Post

COVER_KINDS = ("thumbnail", "cover")


def default_cover_item(post: Post) -> MediaItem | None:
    """The first item that has pixels (embeds have none) and is ready: what a cover the author did
    not place on an item is cut from."""
    return next((item for item in post.items.all() if item.kind != MediaKind.EMBED and item.is_ready), None)


def post_covers_schedule(
    post_id: int, *, changed_item_id: int | None = None, force: bool = False, queue: bool = True
) -> int | None:
    """Ask for a rebuild when a cover is missing (and an item is ready to cut it from), was cut from
    the item that just changed, or was cut by default from a later item than the one that just
    became the first ready (several items finishing out of order). Returns the version to build
    (None: nothing to build).

    Runs inside the caller's transaction; the version bump makes any render already running stale.
    `queue`: a `render_post_covers` task is queued on commit. Without it the caller draws that
    version itself once this commits (`covers_inline`), and queues it (`post_covers_queue`) if it
    cannot: one drawing per version, never one in the task and another on the queue."""
    post = Post.objects.select_for_update().filter(pk=post_id).first()
    if post is None:
        return None
    built_from = {post.covers.get(kind, {}).get("item") for kind in COVER_KINDS}
    missing = any(kind not in post.covers for kind in COVER_KINDS)
    changed = changed_item_id is not None and (changed_item_id in built_from or _now_first(post, changed_item_id))
    if not (force or missing or changed):
        return None
    if missing and not (force or changed) and default_cover_item(post) is None:
        # Nothing to cut them from yet (a post published while its items render): the item that
        # becomes ready asks. Queued anyway, a drawing found nothing, and under one pass waited on
        # the media queue behind the upload itself (500 such in the faults bench's flood).
        return None
    post.covers_version += 1
    post.save(update_fields=["covers_version"])
    if queue:
        post_covers_queue(post_id, post.covers_version)
    return post.covers_version


def _now_first(post: Post, item_id: int) -> bool:
    """A cover left to the default was cut from another item, and `item_id` (just ready) is now the
    first ready item with pixels. Without this, the second item finishing first kept the covers for
    good whenever they were drawn before the first was ready; drawn in the item's own task
    (`covers_inline`) they always are."""
    by_default = [kind for kind in COVER_KINDS if getattr(post, f"{kind}_item_id") is None]
    if not any(post.covers.get(kind, {}).get("item") not in (None, item_id) for kind in by_default):
        return False
    first = default_cover_item(post)
    return first is not None and first.pk == item_id


def post_covers_queue(post_id: int, version: int) -> None:
    """`render_post_covers` for this version, queued once the caller's transaction commits (at once
    outside one)."""

    def queue():
        from atelier.posts.tasks import render_post_covers

        render_post_covers.delay(post_id, version)

    transaction.on_commit(queue)


def post_covers_after_settled(post: Post, source: str | None) -> None:
    """The post went public with the evidence now supporting `source`: its covers must state it.
    Covers drawn before every check settled carry no claim (and no signature); when all are such
    and built for the current crop choices, their stored files are signed as they are
    (`covers.post_covers_sign`). Drawing them again cost a decode and ten encodes a post for the same
    pixels. Covers that claim another source, a drawing still to come or a cover missing (its
    drawing failed) mean drawing both again instead, as before."""
    stale = [cover for cover in post.covers.values() if cover.get("source") != source]
    if not stale:
        return
    built = post.covers_built_version == post.covers_version
    complete = all(kind in post.covers for kind in COVER_KINDS)  # one that failed to draw gets another try
    if not (built and complete) or any(cover.get("source") is not None for cover in stale):
        post_covers_schedule(post.pk, force=True)
        return
    post_id, version = post.pk, post.covers_version

    def queue():
        from atelier.posts.tasks import sign_post_covers

        sign_post_covers.delay(post_id, version)

    transaction.on_commit(queue)
