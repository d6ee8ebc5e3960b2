"""Reading follows, likes, comments, blocks and mutes for pages, each in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from atelier.accounts.models import ProfileImage, User
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


def post_thread(*, post: Post, viewer) -> list[Comment]:
    """A post page's comments the viewer may read: top-level ones in order, each with
    `visible_replies`; four queries in all (comments, their avatars, replies, theirs)."""
    replies = Prefetch("replies", queryset=_visible_comments(viewer), to_attr="visible_replies")
    return list(_visible_comments(viewer).filter(post=post, parent__isnull=True).prefetch_related(replies))


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
