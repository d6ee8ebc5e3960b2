"""Reading follows, likes, comments, blocks and mutes for pages, each in a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from atelier.accounts.models import ProfileImage, User
from atelier.core.cursors import InvalidCursor, decode_cursor, encode_cursor
from atelier.posts.models import Post, hidden_author_ids
from atelier.social.models import Block, Comment, Follow, Like, Mute


def _count(queryset, field: str):
    """A correlated COUNT subquery: no GROUP BY on the outer query, so it composes with anything."""
    counted = queryset.order_by().values(field).annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def post_like_annotations(viewer) -> dict:
    """`likes_total` and `viewer_liked` for a post queryset: two subqueries in the same SELECT.

    Counted live rather than read from the stored Post.like_count (refreshed on commit for Discover),
    so the page shows a like the moment it is made."""
    authenticated = viewer is not None and viewer.is_authenticated
    liked = Exists(Like.objects.filter(post=OuterRef("pk"), user=viewer)) if authenticated else Value(False)
    return {"likes_total": _count(Like.objects.filter(post=OuterRef("pk")), "post"), "viewer_liked": liked}


def _visible_comments(viewer):
    """Comments whose authors the viewer has not blocked or muted, and who have not blocked the viewer."""
    comments = Comment.objects.select_related("author__profile").prefetch_related(
        Prefetch("author__profile__images", queryset=ProfileImage.objects.all())
    )
    if viewer is not None and viewer.is_authenticated:
        comments = comments.exclude(author_id__in=hidden_author_ids(viewer))
    return comments


@dataclass(frozen=True)
class PostLikes:
    likes_total: int
    viewer_liked: bool


def post_likes(*, post: Post, viewer) -> PostLikes:
    """A post page's like button: the count and the viewer's own like, in one query.

    `post` is one the viewer may already see (posts.selectors.post_for_page said so)."""
    annotated = Post.objects.filter(pk=post.pk).annotate(**post_like_annotations(viewer))
    row = annotated.values("likes_total", "viewer_liked").first() or {"likes_total": 0, "viewer_liked": False}
    return PostLikes(likes_total=row["likes_total"], viewer_liked=bool(row["viewer_liked"]))


# Top-level comments shown at a time. A popular post's whole thread rendered at once cost the site
# 333 ms of CPU a view at 461 comments (bench/surge's seeded post, 222 kB of HTML); a page of 30 keeps
# the post page's cost flat however long the conversation grows.
COMMENTS_PER_PAGE = 30
# Replies shown under each of them; more come a page at a time from `comment_replies`.
REPLIES_PER_PAGE = 10
_COMMENTS_CURSOR = "comments"
_REPLIES_CURSOR = "replies"


@dataclass(frozen=True)
class CommentPage:
    """Top-level comments, newest first, each with `visible_replies` (oldest first); `older` is the
    cursor of the next, older page (None: this is the oldest)."""

    comments: list[Comment]  # each with `visible_replies` and `more_replies` (a cursor, or None)
    older: str | None


def post_thread(*, post: Post, viewer, before: str | None = None) -> CommentPage:
    """A page of the comments the viewer may read, newest first (a new comment shows at the top, where
    its author looks for it); `before`: a cursor from an earlier page. Four queries in all (comments,
    their avatars, replies, theirs). Raises InvalidCursor for a cursor altered or too old."""
    position = decode_cursor(_COMMENTS_CURSOR, before, max_age=30 * 24 * 3600)
    # The first replies of each comment, one more than shown to tell whether there are others (a
    # sliced prefetch: one query with a window function, whatever the number of comments).
    first_replies = _visible_comments(viewer).order_by("created_at", "pk")[: REPLIES_PER_PAGE + 1]
    replies = Prefetch("replies", queryset=first_replies, to_attr="visible_replies")
    top = _visible_comments(viewer).filter(post=post, parent__isnull=True).order_by("-created_at", "-pk")
    if position is not None:
        at, pk = _position(position)
        top = top.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    shown, older = _page(
        list(top.prefetch_related(replies)[: COMMENTS_PER_PAGE + 1]), COMMENTS_PER_PAGE, _COMMENTS_CURSOR
    )
    for comment in shown:
        comment.visible_replies, comment.more_replies = _page(
            comment.visible_replies, REPLIES_PER_PAGE, _REPLIES_CURSOR
        )
    return CommentPage(comments=shown, older=older)


@dataclass(frozen=True)
class ReplyPage:
    comment: Comment  # the top-level comment replied to
    replies: list[Comment]  # oldest first
    more: str | None  # the cursor of the next replies (None: these are the last)


def top_comment_for_page(*, comment_id: int, viewer) -> Comment | None:
    """A top-level comment the viewer may read (its post's visibility is the caller's to check)."""
    return _visible_comments(viewer).filter(pk=comment_id, parent__isnull=True).first()


def comment_replies(*, comment: Comment, viewer, after: str | None) -> ReplyPage:
    """The replies to `comment` the viewer may read after the cursor `after`, oldest first, a page at a
    time (two queries: replies, their avatars). Raises InvalidCursor for a cursor altered or too old."""
    position = decode_cursor(_REPLIES_CURSOR, after, max_age=30 * 24 * 3600)
    replies = _visible_comments(viewer).filter(parent=comment).order_by("created_at", "pk")
    if position is not None:
        at, pk = _position(position)
        replies = replies.filter(Q(created_at__gt=at) | Q(created_at=at, pk__gt=pk))
    shown, more = _page(list(replies[: REPLIES_PER_PAGE + 1]), REPLIES_PER_PAGE, _REPLIES_CURSOR)
    return ReplyPage(comment=comment, replies=shown, more=more)


def _page(found: list[Comment], size: int, kind: str) -> tuple[list[Comment], str | None]:
    """The first `size` of `found` (fetched one longer) and the cursor after the last, if more were found."""
    if len(found) <= size:
        return found, None
    last = found[size - 1]
    return found[:size], encode_cursor(kind, {"at": last.created_at.isoformat(), "pk": last.pk})


def _position(position: dict) -> tuple[datetime, int]:
    try:
        return datetime.fromisoformat(position["at"]), int(position["pk"])
    except (KeyError, TypeError, ValueError):
        raise InvalidCursor("This link to more comments is broken. Open the post again.") from None


@dataclass(frozen=True)
class ProfileSocial:
    followers: int
    following: int
    viewer_follows: bool = False
    viewer_blocks: bool = False
    viewer_mutes: bool = False
    # The profile's owner blocked the viewer: no follow button and no posts (the page itself still shows).
    blocked_by: bool = False


def profile_social(*, user, viewer) -> ProfileSocial:
    """Counts and the viewer's relations to `user`, in one query."""
    annotations = {
        "followers_total": _count(Follow.objects.filter(followee=OuterRef("pk")), "followee"),
        "following_total": _count(Follow.objects.filter(follower=OuterRef("pk")), "follower"),
    }
    if viewer is not None and viewer.is_authenticated and viewer.pk != user.pk:
        annotations |= {
            "viewer_follows": Exists(Follow.objects.filter(follower=viewer, followee=OuterRef("pk"))),
            "viewer_blocks": Exists(Block.objects.filter(blocker=viewer, blocked=OuterRef("pk"))),
            "viewer_mutes": Exists(Mute.objects.filter(muter=viewer, muted=OuterRef("pk"))),
            "blocked_by": Exists(Block.objects.filter(blocker=OuterRef("pk"), blocked=viewer)),
        }
    row = User.objects.filter(pk=user.pk).annotate(**annotations).values(*annotations).get()
    return ProfileSocial(followers=row.pop("followers_total"), following=row.pop("following_total"), **row)


def blocks_and_mutes(*, user) -> dict:
    """The settings page: whom `user` blocks and mutes, newest first, with profiles."""
    blocks = Block.objects.filter(blocker=user).select_related("blocked__profile").order_by("-created_at")
    mutes = Mute.objects.filter(muter=user).select_related("muted__profile").order_by("-created_at")
    return {"blocks": list(blocks), "mutes": list(mutes)}
