"""A post's covers drawn by the task that makes their item ready, from the original it decoded.

Under MEDIA_DETECTION_ONE_PASS one task on the media queue checks an upload and draws its renditions
(protection.detection.one_pass). Its post's thumbnail and cover were then queued as their own task
(`tasks.render_post_covers`), which decoded the original again and waited behind every upload
queued before it: in the faults bench's 500-upload flood, posts already public showed a placeholder
card for up to 47 s. A queue of their own ahead of uploads would have delayed the uploads going
public instead. So the task that makes the item ready draws them, right after that commit, from the
decode it already holds (a JPEG, which the one pass never shares, is decoded once more at the
covers' size, as `render_post_covers` would, but without the wait).

What a cover is and when it must be drawn again stays in posts.covers and posts.covers_schedule;
this module only says who draws them and from which pixels. The owner handed to media's pipeline
asks for the covers version without queuing it (`post_covers_schedule(queue=False)`), so no second
drawing waits on the queue for a version drawn here; if this drawing cannot finish, the version is
queued as before. The two-pool path (`posts.items.media_item_process`) is unchanged.
"""

import logging

from atelier.media import processing
from atelier.media.decoding import DecodedOriginal
from atelier.media.models import MediaItem
from atelier.media.states import MediaState
from atelier.posts.covers import post_covers_render
from atelier.posts.covers_schedule import post_covers_queue, post_covers_schedule
from atelier.posts.items import PostItems
from atelier.posts.models import Post

logger = logging.getLogger(__name__)


class CoversDrawnHere(PostItems):
    """`PostItems` for one task that draws the covers itself: the version the item's readiness asked
    for is kept here (one instance per task) instead of queued."""

    def __init__(self) -> None:
        self.covers_due: tuple[int, int] | None = None  # (post id, covers version)

    def covers_changed(self, post_id: int, item_id: int) -> None:
        version = post_covers_schedule(post_id, changed_item_id=item_id, queue=False)
        if version is not None:
            self.covers_due = (post_id, version)


def media_item_process_with_covers(*, item_id: int, version: int, decoded: DecodedOriginal | None = None) -> bool:
    """`posts.items.media_item_process`, then the post's covers if the item's readiness asked for
    them, drawn from `decoded` when they are cut from this item. Returns whether renditions were
    published; the covers' own outcome never changes the item's."""
    owner = CoversDrawnHere()
    rendered = processing.media_item_process(item_id=item_id, version=version, owner=owner, decoded=decoded)
    due = owner.covers_due or (None if rendered else _left_by_a_lost_task(item_id, version))
    if due is not None:
        _draw(*due, item_id=item_id, decoded=decoded)
    return rendered


def _left_by_a_lost_task(item_id: int, version: int) -> tuple[int, int] | None:
    """A second delivery of a task that made the item ready but died before its covers were drawn
    (tasks ack late; a worker killed between the two commits): the version it asked for is still
    unbuilt, and nothing else queued it. Drawn here now; should a `render_post_covers` of the same
    version also be waiting, whichever comes second finds it built (or replaces it, harmlessly)."""
    item = MediaItem.objects.filter(pk=item_id, version=version, state=MediaState.READY).only("post_id").first()
    if item is None:
        return None
    post = Post.objects.filter(pk=item.post_id).values("covers_version", "covers_built_version").first()
    if post is None or post["covers_built_version"] == post["covers_version"]:
        return None
    return item.post_id, post["covers_version"]


def _draw(post_id: int, covers_version: int, *, item_id: int, decoded: DecodedOriginal | None) -> None:
    """A cover that fails to decode is left out by `post_covers_render` itself, as in its own task;
    anything else (the store or the database away) hands the version to that task, which the broker
    keeps until a worker can run it."""
    held = {item_id: decoded} if decoded is not None else None
    try:
        post_covers_render(post_id=post_id, version=covers_version, decoded=held)
    except Exception:
        logger.exception("Covers of post %s (version %s) failed in the item's task: queued", post_id, covers_version)
        post_covers_queue(post_id, covers_version)
