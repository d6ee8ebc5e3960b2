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
