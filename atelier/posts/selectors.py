"""Reading posts for pages. Lists prefetch everything they show, so their query count is fixed."""

from django.db.models import Prefetch
from django.http import Http404

from atelier.accounts.models import ProfileImage
from atelier.media.models import MediaItem
from atelier.media.states import CHECKS_LETTING_THROUGH, CheckState, MediaState
from atelier.posts.files import post_file_names
from atelier.posts.models import Post, PostState

# Moderators see held and taken-down work (moderation.models.ReviewCase's permission, named here as a
# string: posts does not import moderation).
REVIEW_PERMISSION = "moderation.review_case"


def _with_author(queryset):
    return queryset.select_related("author__profile").prefetch_related(
        Prefetch("author__profile__images", queryset=ProfileImage.objects.all())
    )


def post_for_page(*, post_id: int, viewer) -> Post:
    """A post its viewer may see, with items, tags and author; 404 otherwise (never 403: no leaks).

    Likes, comments and the follow button are social's, bookmarks albums': the page composes them in
    with those apps' template tags (posts sits below both and imports neither)."""
    post = (
        _with_author(Post.objects.visible_to(viewer))
        .prefetch_related(Prefetch("items", queryset=MediaItem.objects.order_by("position", "pk")), "tags")
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    return post


def post_for_editing(*, post_id: int, user) -> Post:
    """The author's own post (draft or published) for the composer; 404 for anyone else."""
    post = (
        Post.objects.filter(pk=post_id, author=user)
        .exclude(state=PostState.TAKEN_DOWN)
        .prefetch_related(Prefetch("items", queryset=MediaItem.objects.order_by("position", "pk")), "tags")
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    return post


def posts_for_profile(*, author, viewer, limit: int = 60) -> list[Post]:
    """The portfolio grid: the author's visible posts, newest first (drafts only for the author).
    The cards' bookmark state is albums' (its `with_bookmarks` filter marks the list in one read)."""
    queryset = Post.objects.visible_to(viewer).filter(author=author)
    return list(queryset.order_by("-published_at", "-created_at")[:limit])


def posts_more_by_author(*, post: Post, viewer, limit: int = 6) -> list[Post]:
    """The strip under a post page: the author's other public work, newest first, in one query
    (the cards' bookmark state is marked by albums' `with_bookmarks` filter). Drafts stay out even
    for the author: the strip is what a visitor would see."""
    queryset = (
        Post.objects.visible_to(viewer).filter(author_id=post.author_id, state=PostState.PUBLIC).exclude(pk=post.pk)
    )
    return list(queryset.order_by("-published_at", "-id")[:limit])


def drafts_for_author(*, author) -> list[Post]:
    return list(Post.objects.filter(author=author, state=PostState.DRAFT).order_by("-updated_at"))


def withheld_file_for(*, post_id: int, name: str, viewer) -> Post:
    """The post whose withheld rendition or cover `name` is, when `viewer` may see it: its author
    (unless a moderator took it down) or a moderator. 404 otherwise, and for any name the post's rows
    do not list (so no other private file, such as an original, can be asked for)."""
    post = Post.objects.filter(pk=post_id).first()
    if post is None or viewer is None or not viewer.is_authenticated:
        raise Http404("No such file.")
    is_author = post.author_id == viewer.pk and post.state != PostState.TAKEN_DOWN
    if not (is_author or viewer.has_perm(REVIEW_PERMISSION)) or name not in post_file_names(post):
        raise Http404("No such file.")
    return post


def checking_progress(items) -> dict:
    """How far "Checking your work…" has come: items processed and cleared, of all; whether the AI
    check of any is being retried after a failure, and whether one is stuck (it failed its whole
    retry budget: the author is told to write to the moderators; it is still tried, slower)."""
    items = list(items)
    done = sum(1 for item in items if item.state == MediaState.READY and item.ai_check in CHECKS_LETTING_THROUGH)
    return {
        "done": done,
        "total": len(items),
        "retrying": any(item.ai_check == CheckState.ERROR for item in items),
        "stuck": any(item.ai_check == CheckState.STUCK for item in items),
    }


def post_for_status(*, post_id: int, user) -> Post:
    """The author's own post with its items, for the banner that polls while it is checked."""
    post = (
        Post.objects.filter(pk=post_id, author=user)
        .prefetch_related(Prefetch("items", queryset=MediaItem.objects.order_by("position", "pk")))
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    return post
