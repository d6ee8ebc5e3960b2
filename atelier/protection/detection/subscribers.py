"""What the AI check does when posts announce a stored original (`posts.events.item_needs_check`)."""

from atelier.posts.events import item_needs_check
from atelier.protection.detection.sweep import check_heard
from atelier.protection.detection.tasks import detect_media_item, render_and_detect_media_item


def _item_needs_check(sender, item_id, render_version=None, handed_out_again=False, **kwargs):
    """Queue the check on the `detection` queue (already after the commit that stored the original);
    a new original starts the sweep's count again. With `render_version` posts left rendering to this
    check (MEDIA_DETECTION_ONE_PASS): one task on the `media` queue renders and checks from one decode.
    `handed_out_again`: the same original, whose one task was lost (posts' stalled-media sweep): the
    stale-check sweep's count and clock go on, so a check that keeps dying still reaches a person."""
    if not handed_out_again:
        check_heard(item_id=item_id, fresh=True)
    if render_version is not None:
        render_and_detect_media_item.delay(item_id, render_version)
    else:
        detect_media_item.delay(item_id)


def connect() -> None:
    item_needs_check.connect(_item_needs_check, dispatch_uid="detection.item_needs_check")
