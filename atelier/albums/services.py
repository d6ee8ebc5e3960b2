"""What people do with bookmarks and albums: save, collect, order, pick a cover, delete.

Every post comes in through `Post.objects.visible_to(user)`, so nobody can bookmark or collect a
post they cannot see (they get a 404, as if it did not exist). Views call these and nothing else
writes bookmarks or albums.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from atelier.albums.models import Album, AlbumItem, Bookmark
from atelier.albums.selectors import visible_post
from atelier.posts.models import Post


def _require_owner(album: Album, user) -> None:
    if album.owner_id != getattr(user, "pk", None):
        raise PermissionDenied("Only the owner can change this album.")


def bookmark_add(*, user, post_id: int) -> Bookmark:
    """Bookmark a visible post; bookmarking it again changes nothing."""
    post = visible_post(post_id=post_id, viewer=user)
    bookmark, _ = Bookmark.objects.get_or_create(user=user, post=post)
    return bookmark


def bookmark_remove(*, user, post_id: int) -> None:
    """Always allowed, even for a post that has since become hidden (it is one's own list)."""
    Bookmark.objects.filter(user=user, post_id=post_id).delete()


def album_create(*, owner, title: str, description: str = "", is_public: bool = False) -> Album:
    album = Album(owner=owner, title=title.strip(), description=description.strip(), is_public=is_public)
    album.full_clean(exclude=["owner", "cover_post"])
    album.save()
    return album


def album_update(*, album: Album, user, title: str, description: str, is_public: bool) -> Album:
    _require_owner(album, user)
    album.title = title.strip()
    album.description = description.strip()
    album.is_public = is_public
    album.full_clean(exclude=["owner", "cover_post"])
    album.save(update_fields=["title", "description", "is_public", "updated_at"])
    return album


def album_delete(*, album: Album, user) -> None:
    _require_owner(album, user)
    album.delete()


@transaction.atomic
def album_add_post(*, album: Album, user, post_id: int) -> AlbumItem:
    """Put a visible post (anyone's) at the end of the owner's album; a post is in an album at most once."""
    _require_owner(album, user)
    post = visible_post(post_id=post_id, viewer=user)
    # Locking the album serialises additions, so two at once never take the same position.
    Album.objects.select_for_update().filter(pk=album.pk).first()
    if AlbumItem.objects.filter(album=album, post=post).exists():
        raise ValidationError(f"This post is already in “{album.title}”.", code="duplicate")
    last = AlbumItem.objects.filter(album=album).aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            item = AlbumItem.objects.create(album=album, post=post, position=0 if last is None else last + 1)
    except IntegrityError:
        raise ValidationError(f"This post is already in “{album.title}”.", code="duplicate") from None
    album.save(update_fields=["updated_at"])
    return item


@transaction.atomic
def album_remove_post(*, album: Album, user, post_id: int) -> None:
    _require_owner(album, user)
    AlbumItem.objects.filter(album=album, post_id=post_id).delete()
    if album.cover_post_id == post_id:
        album.cover_post = None
        album.save(update_fields=["cover_post", "updated_at"])
    else:
        album.save(update_fields=["updated_at"])


@transaction.atomic
def album_reorder(*, album: Album, user, post_ids: list[int]) -> None:
    """Put the given posts in the given order, in the places they held among all the album's items.

    The owner may send only the posts they can still see: items hidden from them keep their places."""
    _require_owner(album, user)
    items = list(AlbumItem.objects.select_for_update().filter(album=album).order_by("position", "pk"))
    wanted = set(post_ids)
    slots = [index for index, item in enumerate(items) if item.post_id in wanted]
    if len(set(post_ids)) != len(post_ids) or len(slots) != len(post_ids):
        raise ValidationError("The order must list posts of this album, each once.", code="bad_order")
    by_post = {item.post_id: item for item in items}
    for slot, post_id in zip(slots, post_ids, strict=True):
        items[slot] = by_post[post_id]
    for position, item in enumerate(items):
        item.position = position
    AlbumItem.objects.bulk_update(items, ["position"])
    album.save(update_fields=["updated_at"])


def album_set_cover(*, album: Album, user, post_id: int | None) -> Album:
    """Choose one of the album's visible posts as its cover; None goes back to the first post."""
    _require_owner(album, user)
    if post_id is not None:
        visible = Post.objects.visible_to(user).filter(pk=post_id)
        if not AlbumItem.objects.filter(album=album, post__in=visible).exists():
            raise ValidationError("The cover must be one of this album's posts.", code="bad_cover")
    album.cover_post_id = post_id
    album.save(update_fields=["cover_post", "updated_at"])
    return album
