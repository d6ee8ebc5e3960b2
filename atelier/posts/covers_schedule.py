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
