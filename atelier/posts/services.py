"""What authors do to posts: drafts, media items, order, crops, publishing, editing, deleting.

Views call these and nothing else writes posts. Every function that changes several rows runs in
one transaction, and background work is queued on commit, so a failure half-way leaves the post
as it was (never half-written) and a task never sees rows that were rolled back.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from atelier.media import intake
from atelier.media.crops import CropBox
from atelier.media.embeds import parse_embed_url
from atelier.media.models import MediaItem, MediaKind
from atelier.media.renditions import rendition_names
from atelier.media.states import MediaState, transition
from atelier.media.storages import delete_stored_files
from atelier.posts import media_checks, visibility
from atelier.posts.covers_schedule import COVER_KINDS, post_covers_schedule
from atelier.posts.events import item_needs_check
from atelier.posts.files import cover_names
from atelier.posts.models import Post, PostState, Tag, discover_base_for, discover_score_for
from atelier.posts.tasks import process_media_item
from atelier.uploads.services import upload_mark_claimed

MAX_ITEMS_PER_POST = 20
MAX_TAGS = 10
MAX_SOFTWARE = 15
_DETAIL_FIELDS = ("title", "description", "medium", "category", "software", "is_mature", "made_with_ai", "licence")


def post_create_draft(*, author) -> Post:
    return Post.objects.create(author=author, state=PostState.DRAFT)


def _require_author(post: Post, user) -> None:
    if post.author_id != getattr(user, "pk", None):
        raise PermissionDenied("Only the author can change this post.")


@transaction.atomic
def post_update_details(
    *,
    post: Post,
    user,
    title: str,
    description: str,
    medium: str,
    category: str,
    tags: list[str],
    software: list[str],
    is_mature: bool,
    made_with_ai: bool,
    licence: str | None = None,
) -> Post:
    """Save the text fields of a draft or a published post (editing after publishing is allowed).
    Ticking or unticking "made with AI tools" is the author's disclosure: the post's gate is asked again."""
    _require_author(post, user)
    disclosed_before = Post.objects.filter(pk=post.pk).values_list("made_with_ai", flat=True).first()
    tag_names = normalise_tags(tags)
    if len(software) > MAX_SOFTWARE:
        raise ValidationError(f"List at most {MAX_SOFTWARE} programs.", code="too_many_software")
    post.title = title.strip()
    post.description = description.strip()
    post.medium = medium
    post.category = category
    post.software = [name.strip()[:60] for name in software if name.strip()]
    post.is_mature = is_mature
    post.made_with_ai = made_with_ai
    licence_changed = bool(licence) and licence != post.licence
    if licence:
        post.licence = licence
    post.full_clean(exclude=["author", "thumbnail_item", "cover_item"])
    # Only the fields edited here: the caller's instance may predate the worker's updates of
    # media_ready, covers or state, and saving those stale values would hide a ready post.
    post.save(update_fields=[*_DETAIL_FIELDS, "updated_at"])
    post.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tag_names])
    if disclosed_before != made_with_ai:
        visibility.disclosure_changed(post_id=post.pk, actor=user)
    visibility.announce_change(post.pk)
    if licence_changed and post.covers:
        # Thumbnails and covers (what feeds and shares carry) are redrawn with the new licence in
        # their XMP and C2PA; the item-size renditions keep the licence they were made under.
        post_covers_schedule(post.pk, force=True)
    return post


def normalise_tags(raw: list[str]) -> list[str]:
    """Lower-case slugs, without '#', duplicates or empties; at most MAX_TAGS."""
    names = []
    for value in raw:
        name = slugify(value.strip().lstrip("#"), allow_unicode=True)[:40]
        if name and name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ValidationError(f"Use at most {MAX_TAGS} tags.", code="too_many_tags")
    return names


def _next_position(post: Post) -> int:
    highest = post.items.aggregate(highest=Max("position"))["highest"]
    return 0 if highest is None else highest + 1


def _check_room(post: Post) -> None:
    if post.items.count() >= MAX_ITEMS_PER_POST:
        raise ValidationError(f"A post holds at most {MAX_ITEMS_PER_POST} items.", code="too_many_items")


def media_add_file(*, post: Post, user, path, alt_text: str = "", upload_id=None) -> MediaItem:
    """Identify the file by its content, keep the original privately and queue its processing.

    With `upload_id` (the file is that finished resumable upload), the upload is claimed in the same
    transaction as the item is created, under a lock on its row: of two attaches of one upload at
    once, the second waits, finds it claimed (UploadGone) and leaves no item behind."""
    _require_author(post, user)
    _check_room(post)
    accepted = intake.identify_media_file(path)
    original_name = intake.store_original(post_id=post.pk, path=path, accepted=accepted)
    try:
        with transaction.atomic():
            if upload_id is not None:
                upload_mark_claimed(upload_id=upload_id, user=user)
            locked = Post.objects.select_for_update().get(pk=post.pk)
            _check_room(locked)
            item = MediaItem.objects.create(
                post=locked,
                position=_next_position(locked),
                kind=accepted.kind,
                original_name=original_name,
                original_format=accepted.format,
                original_bytes=accepted.size,
                width=accepted.width,
                height=accepted.height,
                duration_seconds=accepted.duration_seconds,
                alt_text=alt_text[:500],
            )
            visibility.refresh(post.pk)  # a public post with a new, unchecked item goes back to checking
            _queue_processing(item)
    except Exception:
        delete_stored_files([], [original_name])  # nothing refers to it: don't leave it behind
        raise
    return item


@transaction.atomic
def media_add_embed(*, post: Post, user, url: str) -> MediaItem:
    _require_author(post, user)
    locked = Post.objects.select_for_update().get(pk=post.pk)
    _check_room(locked)
    embed = parse_embed_url(url)
    item = MediaItem(post=locked, position=_next_position(locked), kind=MediaKind.EMBED, embed=embed.as_dict())
    transition(item, MediaState.READY)  # nothing to process: ready at once
    item.ai_check = media_checks.embed_check()
    item.save()
    visibility.refresh(post.pk)
    visibility.announce_change(post.pk)
    return item


@transaction.atomic
def media_reorder(*, post: Post, user, item_ids: list[int]) -> None:
    """Put the items in the given order; the list must name each item of the post exactly once."""
    _require_author(post, user)
    current = set(post.items.values_list("pk", flat=True))
    if len(item_ids) != len(set(item_ids)) or set(item_ids) != current:
        raise ValidationError("The new order must list every item of this post once.", code="bad_order")
    items = {item.pk: item for item in post.items.all()}
    for position, item_id in enumerate(item_ids):
        items[item_id].position = position
    MediaItem.objects.bulk_update(items.values(), ["position"])
    visibility.announce_change(post.pk)
    # The default thumbnail and cover come from the first item: a new first item changes them.
    post_covers_schedule(post.pk, force=not (post.thumbnail_item_id and post.cover_item_id))


def media_remove(*, item: MediaItem, user) -> None:
    _require_author(item.post, user)
    public, private = rendition_names(item.renditions), item.private_file_names
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=item.post_id)
        fields = []
        for kind in COVER_KINDS:
            if getattr(post, f"{kind}_item_id") == item.pk:
                setattr(post, f"{kind}_item", None)
                setattr(post, f"{kind}_crop", None)
                fields += [f"{kind}_item", f"{kind}_crop"]
        if fields:
            post.save(update_fields=[*fields, "updated_at"])
        item_id = item.pk
        item.delete()
        visibility.refresh(post.pk)
        visibility.announce_change(post.pk)
        post_covers_schedule(post.pk, changed_item_id=item_id)
        transaction.on_commit(lambda: delete_stored_files(public, private))


def media_retry(*, item: MediaItem, user) -> MediaItem:
    """Process a failed item again from its kept original."""
    _require_author(item.post, user)
    with transaction.atomic():
        item = MediaItem.objects.select_for_update().get(pk=item.pk)
        if item.state != MediaState.FAILED:
            raise ValidationError("Only a failed item can be retried.", code="not_failed")
        item.version += 1
        transition(item, MediaState.PROCESSING)
        item.save()
        _queue_processing(item)
    return item


@transaction.atomic
def post_set_crop(*, post: Post, user, kind: str, item: MediaItem, crop: CropBox) -> Post:
    """Choose the item and the rectangle for the thumbnail (square) or the cover (wide)."""
    _require_author(post, user)
    if kind not in COVER_KINDS:
        raise ValidationError("Unknown crop.", code="bad_crop_kind")
    if item.post_id != post.pk or item.kind == MediaKind.EMBED:
        raise ValidationError("Pick one of this post's images, animations or videos.", code="bad_crop_item")
    crop.validate()
    post = Post.objects.select_for_update().get(pk=post.pk)
    setattr(post, f"{kind}_item", item)
    setattr(post, f"{kind}_crop", crop.as_dict())
    post.save(update_fields=[f"{kind}_item", f"{kind}_crop", "updated_at"])
    post_covers_schedule(post.pk, force=True)
    return post


@transaction.atomic
def post_publish(*, post: Post, user) -> Post:
    """Publish a draft: it is checked, and shows to others once every item is ready and its AI check
    lets it through (posts.visibility)."""
    _require_author(post, user)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.state not in (PostState.DRAFT, PostState.UNPUBLISHED):
        return post  # already published (a second click): nothing to do
    if not post.items.exists():
        raise ValidationError("Add at least one image, video or embed before publishing.", code="empty_post")
    if not post.title:
        raise ValidationError("Give your post a title before publishing.", code="no_title")
    if post.items.filter(state=MediaState.FAILED).exists():
        raise ValidationError(
            "One of the files could not be processed. Retry it or remove it before publishing.", code="failed_items"
        )
    post = visibility.publish(post_id=post.pk, actor=user)
    post_covers_schedule(post.pk)
    return post


@transaction.atomic
def post_set_original_date(*, post: Post, user, published_at) -> Post:
    """Date a never-published draft to when the work first appeared elsewhere (an imported archive).

    Publishing keeps a published_at that is already set, so the post takes its place in the
    portfolio at that date; Discover's recency term follows the old date, so imports never rank
    as new work."""
    _require_author(post, user)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.state != PostState.DRAFT or post.published_at is not None:
        raise ValidationError("Only a draft that was never published can take an original date.", code="dated")
    if published_at > timezone.now():
        raise ValidationError("An original date cannot be in the future.", code="future_date")
    post.published_at = published_at
    post.discover_base = discover_base_for(published_at)
    post.discover_score = discover_score_for(post.discover_base, post.like_count, post.comment_count)
    post.save(update_fields=["published_at", "discover_base", "discover_score", "updated_at"])
    return post


def post_unpublish(*, post: Post, user) -> Post:
    """Back to drafts: out of every feed, page and search, its files out of public storage."""
    _require_author(post, user)
    return visibility.unpublish(post_id=post.pk, actor=user)


def post_stored_files(posts) -> tuple[list[str], list[str]]:
    """(public names, private names) of every file behind these posts: renditions, covers, originals."""
    public, private = [], []
    for post in posts:
        for item in post.items.all():
            public += rendition_names(item.renditions)
            private.extend(item.private_file_names)
        public += cover_names(post.covers)
    return public, private


def post_delete(*, post: Post, user) -> None:
    _require_author(post, user)
    public, private = post_stored_files([post])
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        was_public, post_id, author_id = locked.is_public, locked.pk, locked.author_id
        locked.delete()
        visibility.announce_deleted(post_id=post_id, author_id=author_id, was_public=was_public)
        transaction.on_commit(lambda: delete_stored_files(public, private))


def _queue_processing(item: MediaItem) -> None:
    """Rendering on the media queue, and the AI check announced (`events.item_needs_check`): detection
    reads the same original on its own queue, beside rendering, never before it."""
    item_id, version = item.pk, item.version
    if settings.MEDIA_DETECTION_ONE_PASS:  # one worker serves both queues: the check renders too, from one decode
        transaction.on_commit(lambda: item_needs_check.send(sender=MediaItem, item_id=item_id, render_version=version))
        return
    transaction.on_commit(lambda: process_media_item.delay(item_id, version))
    transaction.on_commit(lambda: item_needs_check.send(sender=MediaItem, item_id=item_id))


def max_upload_bytes() -> int:
    return max(settings.POST_IMAGE_MAX_BYTES, settings.POST_VIDEO_MAX_BYTES)
