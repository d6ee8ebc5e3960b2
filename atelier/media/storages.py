"""Where files live: public renditions, private originals, and the renditions of posts nobody but
their author and moderators may see ("withheld": a private folder, or the private bucket/prefix).

A post's renditions are born withheld and moved into public storage only when the post becomes public
(`posts.files`), and back out when it leaves: the mechanism is physical, so a web server or CDN that
serves the public folder or bucket directly cannot hand out a held post's file.
"""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from atelier.media.object_storage import ObjectStorage


def public_storage():
    """Renditions anyone may fetch (the local media folder or a public S3 prefix)."""
    return storages["default"]


def originals_storage():
    """Uploaded originals: never given a public URL; read only by the worker and their owner."""
    return storages["originals"]


def withheld_storage():
    """Renditions of posts that are not public: no URL maps to it; read by the author's and moderators' view."""
    return storages["withheld"]


def save_withheld(name: str, data: bytes) -> str:
    """Store a new rendition where nobody but its author and moderators can reach it; returns its name."""
    return withheld_storage().save(name, ContentFile(data))


def save_rendition(name: str, data: bytes, *, public: bool) -> str:
    """A new rendition: withheld, or, for a work that is public now, straight into public storage,
    where `files_make_public` would move it before the row names it anyway (on S3 that move is a
    server-side copy and a delete, two requests). Nobody has its URL before that row is
    committed; if the work left public view meanwhile, the placing after that commit withholds it."""
    if public:
        return public_storage().save(name, ContentFile(data))
    return save_withheld(name, data)


def delete_stored_files(public_names: list[str], private_names: list[str]) -> None:
    """Remove files from every storage; a name that is already gone is not an error. A rendition
    may be in the public or the withheld storage, so both are asked."""
    for name in public_names:
        public_storage().delete(name)
        withheld_storage().delete(name)
    for name in private_names:
        originals_storage().delete(name)


def files_make_public(names) -> int:
    """Move these renditions into public storage (those already there stay). Returns how many moved.

    Each file is asked about on its own. Listing the post's folder once would save S3 requests, but
    S3-compatible stores do not all list what they hold (SeaweedFS has shipped listings that stop
    early or drop keys), and a file a listing missed stays withheld behind a public page: a 404."""
    return sum(_move(name, withheld_storage(), public_storage()) for name in names)


def files_withhold(names) -> int:
    """Move these renditions out of public storage. Returns how many moved."""
    return sum(_move(name, public_storage(), withheld_storage()) for name in names)


def _local_path(storage, name: str) -> str | None:
    try:
        return storage.path(name)
    except NotImplementedError:
        return None  # a remote storage (S3)


def _move(name: str, source, target) -> bool:
    """One file from `source` to `target` under the same name: a rename on disk, a copy then delete
    on S3 (the object leaves the public bucket/prefix; S3 has no rename). Safe to repeat."""
    source_path, target_path = _local_path(source, name), _local_path(target, name)
    if source_path and target_path:
        if not os.path.exists(source_path):
            return False
        os.makedirs(os.path.dirname(target_path), exist_ok=True)
        os.replace(source_path, target_path)
        return True
    if isinstance(source, ObjectStorage) and isinstance(target, ObjectStorage):
        # Copied by the store itself, the missing source its answer: two requests where the
        # download, upload and questions below made eight (object_storage.py).
        if not target.copied_from(source, name):
            return False
        source.delete(name)
        return True
    if not source.exists(name):
        return False
    if not target.exists(name):
        try:
            file = source.open(name, "rb")
        except FileNotFoundError:
            return False  # moved by someone else since it was asked about
        with file:
            saved = target.save(name, file)
        if saved != name:  # the storage renamed it: never leave a file under a name nothing refers to
            target.delete(saved)
            raise OSError(f"{name} could not be stored under its own name")
    source.delete(name)
    return True


def open_rendition(name: str, *, public_first: bool = True):
    """A rendition's file, wherever the post's state put it: public first (the common case), or
    withheld first when the caller knows its work is not public. Opened, not asked about first: on
    S3 the question was a request of its own before the open's."""
    first, then = (public_storage(), withheld_storage()) if public_first else (withheld_storage(), public_storage())
    try:
        return first.open(name, "rb")
    except FileNotFoundError:
        return then.open(name, "rb")


@contextlib.contextmanager
def original_as_local_file(name: str):
    """A local path to a stored original: the file itself on disk, or a temporary copy from S3."""
    storage = originals_storage()
    try:
        local_path = storage.path(name)
    except NotImplementedError:
        local_path = None  # remote storage (S3): copy it down
    if local_path:
        yield Path(local_path)
        return
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as local, storage.open(name, "rb") as remote:
        shutil.copyfileobj(remote, local, length=1024 * 1024)
        local.flush()
        yield Path(local.name)
