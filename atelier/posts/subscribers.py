"""What posts answer when accounts asks (`accounts.events`)."""

from atelier.accounts.events import account_files
from atelier.posts.services import post_stored_files


def _account_files(sender, user, **kwargs) -> tuple[list[str], list[str]]:
    """The files behind every post of an account being deleted: renditions, covers, originals."""
    return post_stored_files(user.posts.prefetch_related("items"))


def connect() -> None:
    account_files.connect(_account_files, dispatch_uid="posts.account_files")
