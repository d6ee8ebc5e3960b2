"""Posts made through the real services and views, and ways to look at every file they stored."""

import io
import tempfile
from pathlib import Path

from django.urls import reverse
from PIL import Image

from atelier.media.models import MediaItem
from atelier.media.renditions import rendition_names
from atelier.media.storages import open_rendition, originals_storage, public_storage, withheld_storage
from atelier.posts import services
from atelier.posts.items import media_item_process
from atelier.posts.models import Post
from tests.media.sample_files import quadrant_bytes, stored_names, upload

HTMX = {"HX-Request": "true"}
YOUTUBE_URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
VIMEO_URL = "https://vimeo.com/76979871"
SKETCHFAB_URL = "https://sketchfab.com/3d-models/old-boat-0123456789abcdef0123456789abcdef"


def url(name: str, post, *args) -> str:
    return reverse(f"posts:{name}", args=[post.pk, *args])


def post_file(client, post, data: bytes, *, name: str = "artwork.bin", htmx: bool = False):
    """POST a file straight to the composer's media form, as the no-JavaScript form does."""
    headers = HTMX if htmx else {}
    return client.post(url("media_add", post), {"file": upload(name, data)}, headers=headers)


def post_embed(client, post, link: str):
    return client.post(url("media_add", post), {"embed_url": link})


def add_file(post, data: bytes, *, capture, process: bool = True) -> MediaItem:
    """Add a file through the service; with `process`, run the queued processing (and covers) too."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "upload")
        path.write_bytes(data)
        with capture(execute=process):
            item = services.media_add_file(post=post, user=post.author, path=path)
    item.refresh_from_db()
    return item


def add_image(post, *, capture, size=(400, 300), fmt: str = "PNG") -> MediaItem:
    return add_file(post, quadrant_bytes(fmt, size), capture=capture)


def add_embed(post, link: str = YOUTUBE_URL) -> MediaItem:
    return services.media_add_embed(post=post, user=post.author, url=link)


def save_details(post, **changes) -> Post:
    """Save the composer's details through the service: empty fields unless given."""
    details = {
        "title": "",
        "description": "",
        "medium": "",
        "category": "",
        "tags": [],
        "software": [],
        "is_mature": False,
        "made_with_ai": False,
        **changes,
    }
    return services.post_update_details(post=post, user=post.author, **details)


def publish(post, *, capture, title: str = "Harbour at dawn", **details) -> Post:
    """Give the post a title (and any details) and publish it, running the cover rendering it queues."""
    with capture(execute=True):
        save_details(post, title=title, **details)
        services.post_publish(post=post, user=post.author)
    post.refresh_from_db()
    return post


def fail_item(item: MediaItem) -> MediaItem:
    """Break an accepted item's stored original (a disk fault, a bad copy) and run its processing."""
    Path(originals_storage().path(item.original_name)).write_bytes(b"not an image any more")
    media_item_process(item_id=item.pk, version=item.version)
    item.refresh_from_db()
    return item


def public_files() -> set[str]:
    """Every rendition and cover stored, in public storage or withheld (posts.files moves them between
    the two with the post's state; `files_in_public_storage` tells them apart)."""
    return stored_names(public_storage(), "posts") | stored_names(withheld_storage(), "posts")


def files_in_public_storage() -> set[str]:
    return stored_names(public_storage(), "posts")


def files_withheld() -> set[str]:
    return stored_names(withheld_storage(), "posts")


def original_files() -> set[str]:
    return stored_names(originals_storage(), "posts")


def expected_public_files(post: Post) -> set[str]:
    """What the rows say the public storage should hold for a post: its items' renditions and covers."""
    from atelier.posts.covers import cover_names

    post.refresh_from_db()
    names = set(cover_names(post.covers))
    for item in post.items.all():
        names |= set(rendition_names(item.renditions))
    return names


def read_public(name: str) -> bytes:
    """A rendition's bytes, wherever the post's state put it."""
    with open_rendition(name) as file:
        return file.read()


def open_public_image(name: str) -> Image.Image:
    image = Image.open(io.BytesIO(read_public(name)))
    image.load()
    return image


def largest(sizes: list[dict]) -> dict:
    return max(sizes, key=lambda size: size["w"])
