"""A post's fingerprints follow its public life (posts.events): matchable while public, not otherwise."""

from atelier.posts.events import post_became_public, post_left_public
from atelier.protection.theft.services import post_matchable


def _became_public(sender, *, post_id: int, **kwargs) -> None:
    post_matchable(post_id=post_id, matchable=True)


def _left_public(sender, *, post_id: int, **kwargs) -> None:
    post_matchable(post_id=post_id, matchable=False)


def connect() -> None:
    post_became_public.connect(_became_public, dispatch_uid="theft.became_public")
    post_left_public.connect(_left_public, dispatch_uid="theft.left_public")
