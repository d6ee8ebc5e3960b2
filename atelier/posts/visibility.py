"""The one writer of a post's public life. Every move is a function here:

| from | action | to |
|---|---|---|
| draft, unpublished | publish (author) | checking |
| checking | refresh: every item ready and every check pass or review | public |
| checking, public | refresh: a check holds, or the author disclosed AI tools | held |
| checking | refresh: a check pending or failed (retried), an item still rendering | checking |
| public | refresh: a new item is not ready or not checked yet | checking |
| held | release (moderator) | checking |
| public, checking | unpublish (author) | unpublished |
| public, held, checking | take down (moderator) | taken_down |
| taken_down | restore (moderator) | checking |
| checking, public | hold (moderator, report, theft match) | held |

Each function locks the post's row, refuses a move the table does not allow, writes the state and
a `PostStateChange` line (who, when, why: the audit of the post's life; `actor` is empty when the
system moved it), and sends one event after commit (`posts.events`). `refresh` is idempotent and is
the only way into `public`: rendering and the AI check call it whenever an item finishes.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from atelier.media.models import MediaItem
from atelier.media.states import CHECKS_LETTING_THROUGH, CheckState, MediaState
from atelier.posts.events import post_became_public, post_changed, post_left_public
from atelier.posts.files import post_files_make_public
from atelier.posts.models import Post, PostState, PostStateChange, discover_base_for, discover_score_for

logger = logging.getLogger(__name__)

DISCLOSED_AI = "You marked this work as made with AI tools. Atelier shows only human-made work."

ALLOWED = {
    "publish": {PostState.DRAFT, PostState.UNPUBLISHED},
    "release": {PostState.HELD},
    "unpublish": {PostState.PUBLIC, PostState.CHECKING},
    "take_down": {PostState.PUBLIC, PostState.HELD, PostState.CHECKING},
    "restore": {PostState.TAKEN_DOWN},
    "hold": {PostState.CHECKING, PostState.PUBLIC},
}


class TransitionRefused(ValidationError):
    """The post is not in a state this action starts from (a double click, a stale page, a race lost)."""


def _locked(post_id: int) -> Post:
    return Post.objects.select_for_update().get(pk=post_id)


def _check_allowed(post: Post, action: str) -> None:
    if post.state not in ALLOWED[action]:
        raise TransitionRefused(
            f"A post that is {post.get_state_display().lower()} cannot be {action.replace('_', ' ')}ed.",
            code="transition_refused",
        )


def _move(post: Post, target: str, *, action: str, actor=None, reason: str = "") -> None:
    """Write the state, its audit line, and queue the one event this move sends."""
    was_public, source = post.state == PostState.PUBLIC, post.state
    post.state, post.state_changed_at = target, timezone.now()
    fields = ["state", "state_changed_at", "held_reason", "updated_at"]
    post.held_reason = reason if target in (PostState.HELD, PostState.TAKEN_DOWN) else ""
    if target == PostState.PUBLIC and post.published_at is None:
        # First time public: its place in the feeds. Republishing keeps it; imported work comes with its own.
        post.published_at = post.state_changed_at
        post.discover_base = discover_base_for(post.published_at)
        post.discover_score = discover_score_for(post.discover_base, post.like_count, post.comment_count)
        fields += ["published_at", "discover_base", "discover_score"]
    post.save(update_fields=fields)
    PostStateChange.objects.create(
        post=post, source=source, target=target, action=action, actor=actor if _is_person(actor) else None,
        reason=reason[:2000],
    )  # fmt: skip
    post_id, author_id = post.pk, post.author_id
    if target == PostState.PUBLIC and not was_public:
        transaction.on_commit(lambda: post_became_public.send(sender=Post, post_id=post_id, author_id=author_id))
    elif was_public and target != PostState.PUBLIC:
        transaction.on_commit(
            lambda: post_left_public.send(sender=Post, post_id=post_id, author_id=author_id, reason=target)
        )


def _is_person(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _gate(post: Post) -> tuple[str, str]:
    """(state the items and the author's disclosure call for, reason): held, public or checking."""
    if post.made_with_ai:
        return PostState.HELD, DISCLOSED_AI
    items = list(MediaItem.objects.filter(post_id=post.pk).values_list("state", "ai_check", "check_reason"))
    held = [reason for _, check, reason in items if check == CheckState.HOLD]
    if held:
        return PostState.HELD, " ".join(dict.fromkeys(reason for reason in held if reason)) or "Held for review."
    if items and all(state == MediaState.READY and check in CHECKS_LETTING_THROUGH for state, check, _ in items):
        return PostState.PUBLIC, ""
    return PostState.CHECKING, ""


@transaction.atomic
def refresh(post_id: int) -> str | None:
    """Bring a checking or public post in line with its items and disclosure; the only path into
    public. Idempotent: called again with nothing new, it changes nothing. Returns the state (None:
    no such post)."""
    post = Post.objects.select_for_update().filter(pk=post_id).first()
    if post is None:
        return None
    if post.state not in (PostState.CHECKING, PostState.PUBLIC):
        return post.state
    target, reason = _gate(post)
    if target != post.state:
        if target == PostState.PUBLIC:
            # Its files first: once this commits, every page may list the post at once, and a page
            # naming a file still withheld shows a broken image (a 404 the edge keeps for seconds).
            # Files named after this are placed by whoever names them, after their commit.
            post_files_make_public(post)
        _move(post, target, action="refresh", reason=reason)
    return post.state


@transaction.atomic
def publish(*, post_id: int, actor) -> Post:
    """The author publishes: the post is checked, and goes public on its own once every item is
    ready and cleared (at once when they already are)."""
    post = _locked(post_id)
    _check_allowed(post, "publish")
    _move(post, PostState.CHECKING, action="publish", actor=actor)
    refresh(post_id)
    post.refresh_from_db()
    return post


@transaction.atomic
def unpublish(*, post_id: int, actor) -> Post:
    post = _locked(post_id)
    _check_allowed(post, "unpublish")
    _move(post, PostState.UNPUBLISHED, action="unpublish", actor=actor)
    return post


@transaction.atomic
def hold(*, post_id: int, reason: str, actor=None, restate: bool = False) -> bool:
    """Keep a checking or public post from everyone but its author and moderators. False when it
    was not in a state to hold; a held one keeps its first reason unless `restate` (a moderator's
    decision replaces the detector's words)."""
    post = _locked(post_id)
    if post.state == PostState.HELD and restate:
        post.held_reason = reason
        post.save(update_fields=["held_reason", "updated_at"])
        PostStateChange.objects.create(
            post=post, source=post.state, target=post.state, action="hold", actor=actor if _is_person(actor) else None,
            reason=reason[:2000],
        )  # fmt: skip
        return False
    if post.state not in ALLOWED["hold"]:
        return False
    _move(post, PostState.HELD, action="hold", actor=actor, reason=reason)
    return True


@transaction.atomic
def release(*, post_id: int, actor, note: str = "") -> Post:
    """A moderator lets a held post go back through the gate (the caller clears the checks they
    reviewed first: `media_checks.post_checks_cleared_by_moderator`)."""
    post = _locked(post_id)
    _check_allowed(post, "release")
    _move(post, PostState.CHECKING, action="release", actor=actor, reason=note)
    refresh(post_id)
    post.refresh_from_db()
    return post


@transaction.atomic
def take_down(*, post_id: int, actor, reason: str) -> Post:
    post = _locked(post_id)
    _check_allowed(post, "take_down")
    _move(post, PostState.TAKEN_DOWN, action="take_down", actor=actor, reason=reason)
    return post


@transaction.atomic
def restore(*, post_id: int, actor, reason: str = "") -> Post:
    """A taken-down post goes back through the gate: public again only if its items still pass."""
    post = _locked(post_id)
    _check_allowed(post, "restore")
    _move(post, PostState.CHECKING, action="restore", actor=actor, reason=reason)
    refresh(post_id)
    post.refresh_from_db()
    return post


def announce_change(post_id: int) -> None:
    """What a post shows changed without a change of state: caches drop their copy once committed.
    Only public posts are in any shared cache, so a draft's autosave announces nothing."""

    def announce():
        if Post.objects.filter(pk=post_id, state=PostState.PUBLIC).exists():
            post_changed.send(sender=Post, post_id=post_id)

    transaction.on_commit(announce)


def announce_deleted(*, post_id: int, author_id: int, was_public: bool) -> None:
    if was_public:
        transaction.on_commit(
            lambda: post_left_public.send(sender=Post, post_id=post_id, author_id=author_id, reason="deleted")
        )


@transaction.atomic
def disclosure_changed(*, post_id: int, actor) -> str:
    """The author ticked or unticked "made with AI tools". Ticked: a checking or public post is held
    (`refresh` does that). Unticked: a post held only for that disclosure goes back through the gate;
    one the AI check or a moderator held stays held."""
    post = _locked(post_id)
    if not post.made_with_ai and post.state == PostState.HELD and post.held_reason == DISCLOSED_AI:
        _move(post, PostState.CHECKING, action="disclose", actor=actor)
    return refresh(post_id)
