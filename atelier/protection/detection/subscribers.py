"""What the AI check does when posts announce a stored original (`posts.events.item_needs_check`)."""

from atelier.posts.events import item_needs_check
from atelier.protection.detection.sweep import check_heard
from atelier.protection.detection.tasks import detect_media_item


def _item_needs_check(sender, item_id, **kwargs):
    """Queue the check on the `detection` queue (already after the commit that stored the original);
    a new original starts the sweep's count again."""
    check_heard(item_id=item_id, fresh=True)
    detect_media_item.delay(item_id)


def connect() -> None:
    item_needs_check.connect(_item_needs_check, dispatch_uid="detection.item_needs_check")
