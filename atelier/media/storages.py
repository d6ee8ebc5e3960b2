import contextlib
import shutil
import tempfile
from pathlib import Path

from django.core.files.storage import storages


def public_storage():
    """Renditions anyone may fetch (the local media folder or a public S3 prefix)."""
    return storages["default"]


def originals_storage():
    """Uploaded originals: never given a public URL; read only by the worker and their owner."""
    return storages["originals"]


def delete_stored_files(public_names: list[str], private_names: list[str]) -> None:
    """Remove files from both storages; a name that is already gone is not an error."""
    for name in public_names:
        public_storage().delete(name)
    for name in private_names:
        originals_storage().delete(name)


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
