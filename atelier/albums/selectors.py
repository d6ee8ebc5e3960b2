"""Reading bookmarks and albums for pages, each list in a fixed number of queries.

Posts are always filtered through `Post.objects.visible_to(viewer)`: a post that becomes hidden
(removed, held, its author blocked or muted) silently drops out of bookmarks and albums for that
viewer, and its row stays, so it comes back if the post does.
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from atelier.albums.bookmark_sets import bookmarked_post_ids
from atelier.albums.models import Album, AlbumItem, Bookmark
from atelier.posts.models import Post


def visible_post(*, post_id: int, viewer) -> Post:
    """The post if `viewer` may see it; 404 otherwise, so hidden posts are indistinguishable from missing ones."""
    post = Post.objects.visible_to(viewer).filter(pk=post_id).first()
    if post is None:
        raise Http404("No such post.")
    return post


def bookmarked_by(viewer):
    """An Exists expression for a post list: has `viewer` bookmarked this post? (False for anonymous.)"""
    if viewer is None or not viewer.is_authenticated:
        return Value(False)
    return Exists(Bookmark.objects.filter(user=viewer, post=OuterRef("pk")))


def post_is_bookmarked(*, post: Post, viewer) -> bool:
    """For a single post (the post page); lists annotate `viewer_bookmarked` instead."""
    if hasattr(post, "viewer_bookmarked"):
        return post.viewer_bookmarked
    if viewer is None or not viewer.is_authenticated:
        return False
    return Bookmark.objects.filter(user=viewer, post=post).exists()


def bookmarks_for_user(*, user, limit: int = 120) -> list[Post]:
    """The person's bookmarked posts they can still see, newest bookmark first: one query."""
    bookmarks = (
        Bookmark.objects.filter(user=user, post__in=Post.objects.visible_to(user))
        .select_related("post")
        .order_by("-created_at", "-pk")[:limit]
    )
    posts = []
    for bookmark in bookmarks:
        bookmark.post.viewer_bookmarked = True
        posts.append(bookmark.post)
    return posts


def album_for_owner(*, album_id: int, user) -> Album:
    """One of the person's own albums, to change; 404 for anyone else's (never 403: no leaks)."""
    album = Album.objects.filter(pk=album_id, owner_id=getattr(user, "pk", None)).first()
    if album is None:
        raise Http404("No such album.")
    return album


def album_for_page(*, album_id: int, owner, viewer) -> Album:
    """An album of `owner` as `viewer` may read it: public ones for everyone, private ones for the owner."""
    allowed = Q(is_public=True)
    if viewer is not None and viewer.is_authenticated and viewer.pk == owner.pk:
        allowed = Q()
    album = Album.objects.filter(allowed, pk=album_id, owner=owner).first()
    if album is None:
        raise Http404("No such album.")
    return album


def album_posts(*, album: Album, viewer, limit: int = 500) -> list[Post]:
    """The album's posts `viewer` may see, in the owner's order, with the viewer's bookmark state: one query."""
    items = (
        AlbumItem.objects.filter(album=album, post__in=Post.objects.visible_to(viewer))
        .select_related("post")
        .annotate(viewer_bookmarked=_bookmarked_item(viewer))
        .order_by("position", "pk")[:limit]
    )
    posts = []
    for item in items:
        item.post.viewer_bookmarked = item.viewer_bookmarked
        posts.append(item.post)
    return posts


def _bookmarked_item(viewer):
    if viewer is None or not viewer.is_authenticated:
        return Value(False)
    return Exists(Bookmark.objects.filter(user=viewer, post=OuterRef("post_id")))


def albums_for_profile(*, owner, viewer) -> list[Album]:
    """A person's albums (private ones only for themselves), newest change first, each with `cover`
    (the chosen post if visible, else the first visible one) and `post_count`: two queries."""
    visible = Post.objects.visible_to(viewer)
    visible_items = AlbumItem.objects.filter(album=OuterRef("pk"), post__in=visible)
    albums = Album.objects.filter(owner=owner)
    if viewer is None or not viewer.is_authenticated or viewer.pk != owner.pk:
        albums = albums.filter(is_public=True)
    albums = list(
        albums.annotate(
            cover_id=Coalesce(
                Subquery(visible.filter(pk=OuterRef("cover_post_id")).values("pk")[:1]),
                Subquery(visible_items.order_by("position", "pk").values("post_id")[:1]),
                output_field=IntegerField(),
            ),
            post_count=Coalesce(
                Subquery(visible_items.order_by().values("album").annotate(count=Count("pk")).values("count")),
                Value(0),
                output_field=IntegerField(),
            ),
        ).order_by("-updated_at", "-pk")
    )
    covers = Post.objects.in_bulk([album.cover_id for album in albums if album.cover_id])
    for album in albums:
        album.cover = covers.get(album.cover_id)
    return albums


def albums_for_adding(*, user, post_id: int) -> list[Album]:
    """The person's albums for the "Add to album" form, each marking whether it already holds the post."""
    return list(
        Album.objects.filter(owner=user)
        .annotate(has_post=Exists(AlbumItem.objects.filter(album=OuterRef("pk"), post_id=post_id)))
        .order_by("-updated_at", "-pk")
    )


_READ_IT = object()


def mark_bookmarked(posts: list[Post], viewer, bookmarked=_READ_IT) -> list[Post]:
    """Set `viewer_bookmarked` on an already-fetched list (feeds): from the viewer's cached bookmark
    set (`bookmarked`, when the page already read it; None: too many to cache), or with one query for
    the whole page when they keep too many bookmarks to cache."""
    if viewer is None or not viewer.is_authenticated or not posts:
        marked = frozenset()
    else:
        marked = bookmarked_post_ids(viewer) if bookmarked is _READ_IT else bookmarked
        if marked is None:
            marked = set(Bookmark.objects.filter(user=viewer, post__in=posts).values_list("post_id", flat=True))
    for post in posts:
        post.viewer_bookmarked = post.pk in marked
    return posts
