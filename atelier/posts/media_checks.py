"""The hand-off from the AI check to the post: each media item carries its check (pending → pass |
review | hold | error | stuck), set here and nowhere else, and every change asks `visibility.refresh` whether
the post may go public. Detection keeps its evidence; posts read only this.

Locks the item before the post, in the same order as the rendering step, so the two finishing at
once wait for each other instead of deadlocking.
"""

from django.db import transaction

from atelier.media.models import MediaItem, MediaKind
from atelier.media.states import CheckState, MediaState
from atelier.posts import visibility
from atelier.posts.source_types import source_type
from atelier.posts.tasks import resign_media_item

SETTLED = frozenset({CheckState.PASS, CheckState.REVIEW, CheckState.HOLD})
# protection.theft's hold: the item looks like someone else's older public work.
REPOST = "Held for review — looks like a work already posted by someone else."


@transaction.atomic
def item_check_record(*, item_id: int, check: str, reason: str = "", said_ai: bool = False) -> str | None:
    """Store one item's check and refresh its post. Returns the post's state after (None: the item
    is gone). `said_ai` sticks: once the file's own metadata, watermark or a moderator said AI, a later
    run cannot make its Content Credentials call it human work. An `error` never replaces a settled
    check (a re-run that failed leaves the last verdict in place)."""
    item = MediaItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        return None
    if check == CheckState.ERROR and item.ai_check in SETTLED | {CheckState.STUCK}:
        # A failed re-run decides nothing: the last verdict stands, and a stuck check stays stuck
        # (its author was told) until a run decides.
        return visibility.refresh(item.post_id)
    if item.ai_check == CheckState.HOLD and item.check_reason == REPOST and check != CheckState.HOLD:
        item.said_ai = item.said_ai or said_ai
        item.save(update_fields=["said_ai", "updated_at"])
        return visibility.refresh(item.post_id)  # a possible repost stays held until a moderator clears it
    item.ai_check = CheckState(check)
    item.check_reason = reason[:2000] if check == CheckState.HOLD else ""
    item.said_ai = item.said_ai or said_ai
    item.save(update_fields=["ai_check", "check_reason", "said_ai", "updated_at"])
    # Rendered before the evidence was in: its Content Credentials are made again to say what it shows.
    stale = item.renditions.get("source") != source_type(item.post, [item])
    if item.kind != MediaKind.EMBED and item.state == MediaState.READY and stale:
        transaction.on_commit(lambda: resign_media_item.delay(item_id))
    return visibility.refresh(item.post_id)


def item_hold_as_repost(*, item_id: int) -> str | None:
    """protection.theft found the item near an older public work by someone else: it holds (its post
    too, once published) until a moderator clears it; a later AI verdict of pass does not release it."""
    return item_check_record(item_id=item_id, check=CheckState.HOLD, reason=REPOST)


@transaction.atomic
def post_checks_cleared_by_moderator(*, post_id: int) -> int:
    """A moderator approved the work: the items the check held, or could not check at all (`stuck`),
    go through as `review`."""
    checked_by_hand = MediaItem.objects.filter(post_id=post_id, ai_check__in=[CheckState.HOLD, CheckState.STUCK])
    return checked_by_hand.update(ai_check=CheckState.REVIEW)


@transaction.atomic
def post_checks_said_ai_by_moderator(*, post_id: int, reason: str) -> int:
    """A moderator confirmed the work as AI-generated: every item holds and is marked as AI for good."""
    return MediaItem.objects.filter(post_id=post_id).update(ai_check=CheckState.HOLD, check_reason=reason, said_ai=True)


def embed_check() -> str:
    """Embeds are hosted elsewhere and have no file of ours to check: they pass."""
    return CheckState.PASS
