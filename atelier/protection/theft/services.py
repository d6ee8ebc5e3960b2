"""Writes of art-theft detection: an item's fingerprints, the hold of a possible repost, the
original artist's answer, and which fingerprints may be matched.

`item_fingerprint_and_check` runs in the detection task before the AI check is recorded: a possible
repost holds its item through `posts.media_checks` (the hand-over every check uses), so its post is
held before anyone sees it, whether it is still a draft or already checking. A match never
removes anything: it holds the post for a moderator (a crafted collision costs its maker a review,
never the artist their post; one whose pixels do not agree with the work, beyond a few bits of PDQ,
is not a match at all: pdq_confirm.py).
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from atelier.media.models import MediaItem, MediaKind
from atelier.media.storages import original_as_local_file
from atelier.moderation import services as moderation
from atelier.notifications.models import Verb
from atelier.notifications.services import notify_site
from atelier.posts import media_checks
from atelier.posts.models import Post, PostState
from atelier.protection.theft import fingerprints
from atelier.protection.theft.index import chunk_columns, corner_columns, nearest_to
from atelier.protection.theft.models import Fingerprint, MatchStatus, RepostMatch, Thumbnail

logger = logging.getLogger(__name__)

REPOST_REASON = media_checks.REPOST
_HASHED_KINDS = (MediaKind.IMAGE, MediaKind.ANIMATION)


def open_picture(path) -> Image.Image | None:
    """The first frame of an image file, decoded at a reduced size where the format allows; None
    for what Pillow cannot read or what is larger than uploads may be."""
    try:
        with Image.open(path) as image:
            if image.width * image.height > settings.POST_IMAGE_MAX_PIXELS:
                return None
            image.draft("RGB", (fingerprints.WORKING_LONG_SIDE * 2, fingerprints.WORKING_LONG_SIDE * 2))
            image.load()
            return image.copy()
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None


def fingerprints_store(*, item: MediaItem, stored: fingerprints.Stored) -> int:
    """Replace `item`'s fingerprints and thumbnail; matchable at once only if its post is public
    already."""
    hashes = stored.hashes
    with transaction.atomic():
        Fingerprint.objects.filter(item=item).delete()
        Thumbnail.objects.filter(item=item).delete()
        if stored.thumbnail is not None:
            width, height = stored.size
            Thumbnail.objects.create(
                item=item,
                width=width,
                height=height,
                pixels=stored.thumbnail,
                corners=stored.corners,
                repeated=stored.repeated,
                **_trimmed_columns(stored.trimmed_box),
            )
        public = Post.objects.filter(pk=item.post_id, state=PostState.PUBLIC).exists()
        Fingerprint.objects.bulk_create(
            Fingerprint(
                item=item,
                post_id=item.post_id,
                author_id=item.post.author_id,
                window=one.window,
                value=one.value,
                quality=one.quality,
                matchable=public,
                **chunk_columns(one.value),
                **corner_columns(one),
            )
            for one in hashes
        )
    return len(hashes)


def _trimmed_columns(box: fingerprints.Box | None) -> dict[str, int | None]:
    names = ("trimmed_left", "trimmed_top", "trimmed_right", "trimmed_bottom")
    return dict(zip(names, box or (None,) * 4, strict=True))


def item_fingerprint(*, item_id: int) -> int:
    """Fingerprint one item without comparing it (the back-fill of works posted before the index
    existed: they are the older works, never held for each other). Returns the hashes stored."""
    item = MediaItem.objects.select_related("post").filter(pk=item_id, kind__in=_HASHED_KINDS).first()
    if item is None:
        return 0
    with original_as_local_file(item.original_name) as path:
        picture = open_picture(path)
    return 0 if picture is None else fingerprints_store(item=item, stored=fingerprints.stored(picture))


def item_fingerprint_and_check(*, item_id: int) -> list[RepostMatch]:
    """Fingerprint an uploaded still or animation and hold its post when it is near an older public
    work by someone else. Returns the matches made this time (empty for most uploads)."""
    item = MediaItem.objects.select_related("post").filter(pk=item_id, kind__in=_HASHED_KINDS).first()
    if item is None:
        return []
    with original_as_local_file(item.original_name) as path:
        picture = open_picture(path)
    if picture is None:
        return []
    kept, asked = fingerprints.stored_and_query(picture)
    fingerprints_store(item=item, stored=kept)
    near = nearest_to(asked, exclude_author_id=item.post.author_id)
    return _hold_for(item, near)


def _hold_for(item: MediaItem, near) -> list[RepostMatch]:
    """Record each match to a public post (checked again here, not only by the index's flag) and
    hold the upload's post once, with the moderation case that shows both works."""
    public = set(
        Post.objects.filter(pk__in={one.post_id for one in near}, state=PostState.PUBLIC)
        .exclude(author_id=item.post.author_id)
        .values_list("pk", flat=True)
    )
    made = []
    with transaction.atomic():
        for one in near:
            if one.post_id not in public or one.post_id == item.post_id:
                continue
            match, created = RepostMatch.objects.get_or_create(
                item=item, original_item_id=one.item_id,
                defaults={"post_id": item.post_id, "original_post_id": one.post_id, "distance": one.distance},
            )  # fmt: skip
            if created:
                made.append(match)
        if not made:
            return []
        media_checks.item_hold_as_repost(item_id=item.pk)
        post = Post.objects.get(pk=item.post_id)
        moderation.case_open_from_detection(post=post, reason=REPOST_REASON, labelled=False)
        for original_post_id in dict.fromkeys(match.original_post_id for match in made):
            original = Post.objects.select_related("author").get(pk=original_post_id)
            notify_site(recipient=original.author, verb=Verb.REPOST, post=original)
    return made


@transaction.atomic
def match_answer(*, match_id: int, artist, mine: bool) -> RepostMatch:
    """The original artist says whether the held upload is their work ("that's mine, not theirs")
    or not (dismiss). Either way the moderator decides what happens to the upload; the answer is
    shown in the case."""
    match = RepostMatch.objects.select_for_update().select_related("original_post").get(pk=match_id)
    if match.original_post.author_id != artist.pk:
        raise ValidationError("Only the artist of the original work can answer.", code="not_yours")
    match.status = MatchStatus.CONFIRMED if mine else MatchStatus.DISMISSED
    match.decided_at = timezone.now()
    match.save(update_fields=["status", "decided_at"])
    return match


def post_matchable(*, post_id: int, matchable: bool) -> int:
    """The posts events' receiver: a post's fingerprints may be matched exactly while it is public."""
    return Fingerprint.objects.filter(post_id=post_id).exclude(matchable=matchable).update(matchable=matchable)
