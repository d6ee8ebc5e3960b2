"""Background work of the feeds (default queue)."""

from celery import shared_task

from atelier.feeds.timelines import fan_out_public_posts


@shared_task(acks_late=True, reject_on_worker_lost=True)
def fan_out_posts(post_ids: list[int]) -> int:
    """Idempotent: a post already written at the same time is skipped."""
    return fan_out_public_posts(post_ids)
