"""What people do to each other and to posts: follow, block, mute, like, comment.

Views call these and nothing else writes these rows. Anything the actor may not see answers 404
(Http404, as the selectors do), never 403, so a block or a draft is never revealed by an error.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404

from atelier.accounts.mentions import render_comment
from atelier.core.ratelimit import RateLimit, RateLimited
from atelier.notifications.models import Verb
from atelier.notifications.services import notify, notify_comment
from atelier.posts.models import Post, PostState, hidden_author_ids
from atelier.social.engagement import post_engagement_refresh
from atelier.social.models import Block, Comment, Follow, Like, Mute

MAX_COMMENT_LENGTH = 2000


def comment_rate_limit() -> RateLimit:
    return RateLimit("comment-user", settings.COMMENTS_PER_MINUTE, 60)


def _require_other(actor, target, verb: str) -> None:
    if actor.pk == target.pk:
        raise ValidationError(f"You can't {verb} yourself.", code="self")


# --- follows, blocks, mutes


@transaction.atomic
def follow_create(*, follower, followee) -> Follow:
    """Follow someone. Not yourself (400), and not across a block in either direction (404).

    A new follow notifies the followee; following again does not."""
    _require_other(follower, followee, "follow")
    if Block.objects.filter(blocker=followee, blocked=follower).exists():
        raise Http404("No such person.")
    if Block.objects.filter(blocker=follower, blocked=followee).exists():
        raise ValidationError("Unblock this person before following them.", code="blocked")
    follow, created = Follow.objects.get_or_create(follower=follower, followee=followee)
    if created:
        notify(recipient=followee, actor=follower, verb=Verb.FOLLOW)
    return follow


def follow_delete(*, follower, followee) -> None:
    Follow.objects.filter(follower=follower, followee=followee).delete()


@transaction.atomic
def block_create(*, blocker, blocked) -> Block:
    """Block someone: they no longer see or reach the blocker, and follows both ways end at once."""
    _require_other(blocker, blocked, "block")
    block = Block.objects.get_or_create(blocker=blocker, blocked=blocked)[0]
    Follow.objects.filter(Q(follower=blocker, followee=blocked) | Q(follower=blocked, followee=blocker)).delete()
    return block


def block_delete(*, blocker, blocked) -> None:
    """Unblocking does not restore the follows the block removed: following again is a choice."""
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()


def mute_create(*, muter, muted) -> Mute:
    _require_other(muter, muted, "mute")
    return Mute.objects.get_or_create(muter=muter, muted=muted)[0]


def mute_delete(*, muter, muted) -> None:
    Mute.objects.filter(muter=muter, muted=muted).delete()


# --- likes and comments


def _refresh_engagement(post_id: int) -> None:
    """Discover's stored counts and score follow every like and comment (recounted on commit)."""
    transaction.on_commit(lambda: post_engagement_refresh(post_ids=[post_id]))


def _public_post_for(*, user, post_id: int) -> Post:
    """A public post `user` may see; 404 for drafts (even their own), checking, held, taken down or blocked."""
    post = (
        Post.objects.visible_to(user).filter(pk=post_id).filter(state=PostState.PUBLIC).select_related("author").first()
    )
    if post is None:
        raise Http404("No such post.")
    return post


@transaction.atomic
def like_create(*, user, post_id: int) -> Like:
    """Like a post; a new like notifies its author (liking again does not)."""
    post = _public_post_for(user=user, post_id=post_id)
    like, created = Like.objects.get_or_create(user=user, post=post)
    if created:
        notify(recipient=post.author, actor=user, verb=Verb.LIKE, post=post)
        _refresh_engagement(post.pk)
    return like


def like_delete(*, user, post_id: int) -> None:
    post = _public_post_for(user=user, post_id=post_id)
    if Like.objects.filter(user=user, post=post).delete()[0]:
        _refresh_engagement(post.pk)


@transaction.atomic
def comment_create(*, author, post_id: int, body: str, parent_id: int | None = None) -> Comment:
    """Comment on a post, or reply to a comment (a reply to a reply joins the top-level comment).

    Rate-limited per person; the body is stored with its sanitised HTML, mentions linked. The post's
    author, the replied-to comment's author and the people mentioned are notified, each once."""
    post = _public_post_for(user=author, post_id=post_id)
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write something first.", code="empty")
    if len(body) > MAX_COMMENT_LENGTH:
        raise ValidationError(f"Keep comments to {MAX_COMMENT_LENGTH} characters.", code="too_long")
    parent = None
    if parent_id is not None:
        parent = (
            Comment.objects.filter(pk=parent_id, post=post)
            .exclude(author_id__in=hidden_author_ids(author))
            .select_related("parent")
            .first()
        )
        if parent is None:
            raise Http404("No such comment.")
        parent = parent.parent or parent
    limit = comment_rate_limit()
    if not (decision := limit.check(f"user:{author.pk}")).allowed:
        raise RateLimited("You're commenting very fast. Wait a minute and try again.", decision.retry_after)
    body_html, mentioned = render_comment(body)
    comment = Comment.objects.create(post=post, author=author, parent=parent, body=body, body_html=body_html)
    notify_comment(comment=comment, mentioned_handles=mentioned)
    _refresh_engagement(post.pk)
    return comment


def comment_delete(*, user, comment_id: int) -> Post:
    """The comment's author, or the post's author, may delete it (with its replies); returns the post.

    A comment on a post the user can't see, or by someone hidden from them, is a 404; anyone else 403."""
    comment = (
        Comment.objects.filter(pk=comment_id, post__in=Post.objects.visible_to(user)).select_related("post").first()
    )
    if comment is None:
        raise Http404("No such comment.")
    if user.pk not in (comment.author_id, comment.post.author_id):
        raise PermissionDenied("Only the comment's author or the post's author can delete it.")
    comment.delete()
    _refresh_engagement(comment.post_id)
    return comment.post
