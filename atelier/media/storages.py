"""Where files live: public renditions, private originals, and the renditions of posts nobody but
their author and moderators may see ("withheld": a private folder, or the private bucket/prefix).

A post's renditions are born withheld and moved into public storage only when the post becomes public
(`posts.files`), and back out when it leaves: the mechanism is physical, so a web server or CDN that
serves the public folder or bucket directly cannot hand out a held post's file.
"""

import contextlib
import os
import posixpath
import shutil
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import storages


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
    where `files_make_public` would move it before the row names it anyway (on S3 that move was a
    copy through the worker and a delete, six requests). Nobody has its URL before that row is
    committed; if the work left public view meanwhile, the placing after that commit withholds it."""
    if public:
        return public_storage().save(name, ContentFile(data))
    return save_withheld(name, data)


def delete_stored_files(public_names: list[str], private_names: list[str]) -> None:
    """Remove files from every storage; a name that is already gone is not an error. A rendition
    may be in the public or the withheld storage: each is listed, and asked to delete only what it holds."""
    for storage in (public_storage(), withheld_storage()):
        held = _present(public_names, storage)
        for name in public_names:
            if name in held:
                storage.delete(name)
    for name in private_names:
        originals_storage().delete(name)


def files_make_public(names) -> int:
    """Move these renditions into public storage (those already there stay). Returns how many moved."""
    return _move_all(list(names), withheld_storage(), public_storage())


def files_withhold(names) -> int:
    """Move these renditions out of public storage. Returns how many moved."""
    return _move_all(list(names), public_storage(), withheld_storage())


def _move_all(names: list[str], source, target) -> int:
    """Move those of `names` that `source` holds. Placing a post's files runs after every change to
    it and mostly finds them where they belong: one listing of the post's folder answers that, where
    asking for each name cost an S3 request a file (bench/media_cpu_per_image.py --s3-port)."""
    held = _present(names, source)
    if not held:
        return 0
    there = _present(names, target)
    return sum(_move(name, source, target, in_target=name in there) for name in names if name in held)


def _present(names: list[str], storage) -> set[str]:
    """Which of `names` `storage` holds, from one listing of each folder they are in."""
    found = set()
    for folder in {posixpath.dirname(name) for name in names}:
        try:
            files = storage.listdir(folder)[1]
        except FileNotFoundError:
            continue  # a local folder not made yet (S3 lists nothing instead)
        found.update(posixpath.join(folder, file) for file in files)
    return found


def _local_path(storage, name: str) -> str | None:
    try:
        return storage.path(name)
    except NotImplementedError:
        return None  # a remote storage (S3)


def _move(name: str, source, target, *, in_target: bool | None = None) -> bool:
    """One file from `source` to `target` under the same name: a rename on disk, a copy then delete
    on S3 (the object leaves the public bucket/prefix; S3 has no rename). Safe to repeat.
    `in_target`: whether `target` holds it already, when a listing just said so (not asked again)."""
    source_path, target_path = _local_path(source, name), _local_path(target, name)
    if source_path and target_path:
        if not os.path.exists(source_path):
            return False
        os.makedirs(os.path.dirname(target_path), exist_ok=True)
        os.replace(source_path, target_path)
        return True
    if in_target is None and not source.exists(name):
        return False
    if not (target.exists(name) if in_target is None else in_target):
        try:
            file = source.open(name, "rb")
        except FileNotFoundError:
            return False  # moved by someone else since the listing
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
