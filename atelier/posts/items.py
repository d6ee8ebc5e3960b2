"""A post as the owner of its media items: what media's pipeline (`media.processing`) is handed.

Media sits below posts and never imports it; posts drives the pipeline for its items and passes
`POST_ITEMS`, which answers rendering's questions from the post (its rights and do-not-train XMP,
the Content Credentials the evidence lets the instance sign) and moves the post along when an item
is ready, re-rendered or failed (the visibility gate, covers, where the files sit). The functions
below are the pipeline's entry points with that owner filled in: tasks, the style cloak, the demo
seed and tests call these.
"""

from django.conf import settings
from django.db import transaction

from atelier.media import processing
from atelier.media.content_credentials import post_manifest
from atelier.media.decoding import DecodedOriginal
from atelier.media.models import MediaItem
from atelier.media.xmp import post_xmp
from atelier.posts import source_types, visibility
from atelier.posts.covers_schedule import post_covers_schedule
from atelier.posts.files import place_post_files
from atelier.posts.models import Post, PostState


def post_credentials(post: Post | None, source: str | None) -> dict | None:
    """The instance-signed C2PA manifest for `post` claiming `source` (None: no claim, or switched off)."""
    if post is None or source is None or not settings.C2PA_CONTENT_CREDENTIALS:
        return None
    return post_manifest(post, source_type=source)


class PostItems:
    """`media.processing.ItemOwner` for the items of posts."""

    def rights_xmp(self, item: MediaItem) -> bytes:
        return post_xmp(item.post)

    def credentials(self, item: MediaItem, source: str | None) -> dict | None:
        return post_credentials(item.post, source)

    def source_type(self, item: MediaItem) -> str | None:
        """From the item's check as committed (the AI check runs beside rendering and may just have
        settled), never from the copy rendering started with."""
        fresh = MediaItem.objects.filter(pk=item.pk).only("ai_check", "said_ai").first() or item
        return source_types.source_type(item.post, [fresh])

    def item_ready(self, item: MediaItem) -> None:
        """The gate may open, the covers may change, and the new files go where the post's state says."""
        post_id = item.post_id
        visibility.refresh(post_id)
        visibility.announce_change(post_id)
        self.covers_changed(post_id, item.pk)
        transaction.on_commit(lambda: place_post_files(post_id))

    def covers_changed(self, post_id: int, item_id: int) -> None:
        """The item's new pixels may change the post's covers: a new version is asked for if so,
        drawn by its own task (`covers_inline.CoversDrawnHere` draws it in the item's task instead)."""
        post_covers_schedule(post_id, changed_item_id=item_id)

    def files_public(self, item: MediaItem) -> bool:
        return Post.objects.filter(pk=item.post_id, state=PostState.PUBLIC).exists()

    def renditions_replaced(self, item: MediaItem, *, pixels_changed: bool) -> None:
        post_id = item.post_id
        if pixels_changed:
            self.covers_changed(post_id, item.pk)
        visibility.announce_change(post_id)
        transaction.on_commit(lambda: place_post_files(post_id))

    def item_failed(self, item: MediaItem) -> None:
        visibility.refresh(item.post_id)


POST_ITEMS = PostItems()


def media_item_process(*, item_id: int, version: int, decoded: DecodedOriginal | None = None) -> bool:
    """Render one item of a post (`media.processing.media_item_process`); `decoded`, the original
    decoded once by a task that also runs detection on it (`detection.one_pass`)."""
    return processing.media_item_process(item_id=item_id, version=version, owner=POST_ITEMS, decoded=decoded)


def media_item_resign(*, item_id: int) -> bool:
    """Give an item of a post the Content Credentials its evidence now supports."""
    return processing.media_item_resign(item_id=item_id, owner=POST_ITEMS)


def media_item_swap_source(*, item_id: int, source_name: str, still_wanted) -> bool:
    """Re-render a ready still of a post from another private source (the style cloak's pixels)."""
    return processing.media_item_swap_source(
        item_id=item_id, source_name=source_name, still_wanted=still_wanted, owner=POST_ITEMS
    )
