"""Reads of art-theft detection: what a moderator compares, what an artist is asked to answer, and
the image search ("is my work posted here?"), which only ever returns public posts."""

from dataclasses import dataclass

from PIL import Image

from atelier.posts.models import Post, PostState
from atelier.protection.theft import fingerprints
from atelier.protection.theft.index import nearest_to
from atelier.protection.theft.models import MatchStatus, RepostMatch

SEARCH_RESULTS = 24


def matches_for_case(*, post: Post) -> list[RepostMatch]:
    """The held upload's matches, each with the original work beside it (the moderation case)."""
    return list(
        RepostMatch.objects.filter(post=post)
        .select_related("item", "original_item", "original_post__author__profile")
        .order_by("distance")
    )


def matches_for_artist(*, artist) -> list[RepostMatch]:
    """Uploads held because they look like `artist`'s public works, unanswered first."""
    return list(
        RepostMatch.objects.filter(original_post__author=artist)
        .select_related("original_item", "original_post")
        .order_by("-status", "-created_at")  # "pending" sorts after "dismissed"/"confirmed": reversed
    )


def pending_count(*, artist) -> int:
    return RepostMatch.objects.filter(original_post__author=artist, status=MatchStatus.PENDING).count()


@dataclass(frozen=True)
class Found:
    post: Post
    similarity: int  # percent of the 256 bits that agree (of the matched corners' descriptors, for a keypoint match)


def search_by_image(*, viewer, image: Image.Image) -> list[Found]:
    """Public posts by other people whose works look like `image`. The index holds only public
    works' hashes, and each hit is checked against the post's state again here."""
    asked = fingerprints.query(image)
    near = nearest_to(asked, exclude_author_id=viewer.pk)
    closest: dict[int, int] = {}
    for one in near:
        closest.setdefault(one.post_id, one.distance)
    posts = Post.objects.filter(pk__in=list(closest), state=PostState.PUBLIC).select_related("author__profile")
    found = [Found(post=post, similarity=round(100 * (256 - closest[post.pk]) / 256)) for post in posts]
    return sorted(found, key=lambda one: -one.similarity)[:SEARCH_RESULTS]
