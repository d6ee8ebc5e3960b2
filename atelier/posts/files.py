"""Files follow visibility: a post's renditions and covers sit in public storage only while the post
is public. They are born withheld (`media.storages.save_withheld`), moved into public storage in the
transaction that makes the post public (`visibility.refresh`) and out again when it leaves
(`post_left_public`),
so a held, taken-down or unpublished post's image URL answers 404 — from Django's /media/ view, from a
web server serving the folder directly, and from S3 (the objects leave the public bucket/prefix).

The author and moderators still see a withheld post's files through `withheld_file`, never cached.
"""

import logging

from django.db import transaction

from atelier.media.renditions import rendition_names, sized_file_names
from atelier.media.storages import files_make_public, files_withhold
from atelier.posts.covers_schedule import post_covers_after_settled
from atelier.posts.events import post_became_public, post_left_public
from atelier.posts.models import Post, PostState
from atelier.posts.source_types import source_type

logger = logging.getLogger(__name__)


def cover_names(covers: dict) -> list[str]:
    names = []
    for rendition in covers.values():
        names += sized_file_names(rendition.get("sizes", []))
        names += [name for name in rendition.get("animated", {}).values() if name]
    return names


def post_file_names(post: Post) -> list[str]:
    """Every rendition and cover file the post's rows name (originals are never public)."""
    names = cover_names(post.covers)
    for renditions in post.items.values_list("renditions", flat=True):
        names += rendition_names(renditions or {})
    return names


def place_post_files(post_id: int) -> int:
    """Put the post's files where its current state says: public storage when public, withheld
    otherwise. Idempotent; called after every state change and after every new rendition is
    committed, so the last call, reading the last committed state, wins. Returns how many moved.

    The post's row stays locked while its files move: two workers finishing items of one post at
    once (re-signing two images, a cover and an image) each place the whole post, and without the
    lock both copied the same file and the slower one, finding its source gone, gave up on the rest
    — a new public post then showed images whose files stayed withheld (404) until its next change."""
    with transaction.atomic():
        post = Post.objects.select_for_update().filter(pk=post_id).first()
        if post is None:
            return 0
        names = post_file_names(post)
        moved = files_make_public(names) if post.state == PostState.PUBLIC else files_withhold(names)
    if moved:
        logger.info("post %s: %s file(s) moved for state %s", post_id, moved, post.state)
    return moved


def post_files_make_public(post: Post) -> int:
    """Every file the locked `post` names into public storage, before the transaction making it
    public commits (`visibility.refresh`). Should that transaction roll back, they stay there until the
    post's next placing; their names are random and no public page names them meanwhile."""
    return files_make_public(post_file_names(post))


def _became_public(sender, post_id, **kwargs):
    """Its files are already public: `visibility.refresh`, the only path into public, moved every file
    its rows named before the transaction making it public committed (`post_files_make_public`,
    under the post's lock), and a file named since is placed by the after-commit placing of whoever
    named it. Placing the whole post again here found nothing to move: on S3 a failed copy per file,
    6 of an image's 35.5 copies in one pass (bench/media_cpu_per_image.py --s3-port)."""
    with transaction.atomic():
        post = Post.objects.filter(pk=post_id).first()
        # Covers drawn before every check settled carry no source claim: they are given it now.
        if post is not None:
            post_covers_after_settled(post, source_type(post))


def _left_public(sender, post_id, reason, **kwargs):
    if reason != "deleted":  # a deleted post's files are deleted by its service
        place_post_files(post_id)


def connect() -> None:
    post_became_public.connect(_became_public, dispatch_uid="posts.files.became_public")
    post_left_public.connect(_left_public, dispatch_uid="posts.files.left_public")
