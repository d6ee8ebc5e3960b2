"""Background work of the media layer itself (queue: media)."""

from celery import shared_task
from django.conf import settings

from atelier.media.storages import delete_stored_files


@shared_task(acks_late=True, reject_on_worker_lost=True)
def delete_replaced_files(names: list[str]) -> None:
    delete_stored_files(names, [])


def replaced_files_delete_later(names: list[str]) -> None:
    """Renditions or covers that newer files replaced. A page rendered a moment before the swap still
    names them, and its browser asks for them as the reader scrolls (the surge bench saw those as
    404s, cached by the edge for its page-cache seconds): they stay for MEDIA_REPLACED_FILES_GRACE_SECONDS,
    then go. Call it after commit, like the deletion it stands for."""
    if names:
        delete_replaced_files.apply_async((list(names),), countdown=settings.MEDIA_REPLACED_FILES_GRACE_SECONDS)
