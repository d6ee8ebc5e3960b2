"""What notifications does when a post's public life changes (`posts.events`, after commit)."""

from atelier.notifications.services import notify_post_mentions
from atelier.posts.events import post_became_public


def _became_public(sender, post_id, **kwargs):
    notify_post_mentions(post_id=post_id)


def connect() -> None:
    post_became_public.connect(_became_public, dispatch_uid="notifications.post_became_public")
