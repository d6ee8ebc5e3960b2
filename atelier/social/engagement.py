"""Discover's stored engagement: each post's like and comment counts and the score they give.

Likes and comments are social's rows, so the recount lives here, beside the services that create
and delete them; the columns it writes are on the post (`Post.like_count`, `comment_count`,
`discover_score`), which Discover reads from one index. They are engagement, not visibility:
`posts.visibility` stays the one writer of a post's public life.
"""

from django.db import transaction
from django.db.models import Count, F, FloatField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Log

from atelier.posts.models import Post
from atelier.social.models import Comment, Like


@transaction.atomic
def post_engagement_refresh(*, post_ids) -> None:
    """Recount the likes and comments of these posts and store their Discover score.

    The like and comment services call this (on commit) whenever a like or comment is created or
    deleted. It recounts rather than adds one, so a call that raced another, or was missed, is
    healed by the next; two statements because the score reads the counts just written."""

    def count(model):
        counted = model.objects.filter(post=OuterRef("pk")).values("post").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted), 0)

    posts = Post.objects.filter(pk__in=list(post_ids))
    posts.update(like_count=count(Like), comment_count=count(Comment))
    engagement = Value(1.0) + F("like_count") + Value(2.0) * F("comment_count")
    posts.update(discover_score=F("discover_base") + Log(Value(10.0), engagement, output_field=FloatField()))
