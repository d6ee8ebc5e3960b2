"""When a post's thumbnail and cover must be rebuilt, and queuing that work."""

from django.db import transaction

from atelier.posts.models import Post

COVER_KINDS = ("thumbnail", "cover")


def post_covers_schedule(post_id: int, *, changed_item_id: int | None = None, force: bool = False) -> None:
    """Queue a rebuild when a cover is missing or was cut from the item that just changed.

    Runs inside the caller's transaction; the version bump makes any render already running stale."""
    post = Post.objects.select_for_update().filter(pk=post_id).first()
    if post is None:
        return
    built_from = {post.covers.get(kind, {}).get("item") for kind in COVER_KINDS}
    missing = any(kind not in post.covers for kind in COVER_KINDS)
    if not (force or missing or (changed_item_id is not None and changed_item_id in built_from)):
        return
    post.covers_version += 1
    post.save(update_fields=["covers_version"])
    version = post.covers_version

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
