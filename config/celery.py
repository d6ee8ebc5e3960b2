"""The Celery application: settings come from Django's CELERY_* settings.

Every task retries by itself, with backoff, when a backing service drops out under it (PostgreSQL
restarting, the object store or Redis unreachable): acks-late tasks that merely failed would
otherwise be acknowledged and gone, leaving an upload unprocessed or a post stuck in checking.
Nothing a task writes is half-done by such a retry: each task's writes are transactions and the
tasks are idempotent (they check versions and states before acting).
"""

import os

import redis.exceptions
from botocore.exceptions import ConnectionError as StoreConnectionError
from botocore.exceptions import HTTPClientError
from celery import Celery, Task
from celery.signals import worker_init
from django.db import InterfaceError, OperationalError

from atelier.media.decoding import keep_decode_buffers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")

OUTAGES = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    StoreConnectionError,
    HTTPClientError,
)


class OutageRetryingTask(Task):
    """A task that outlives an outage of what it reads and writes: tried again after 2, 4, 8 … up to
    60 s (with jitter, so a queue of them does not return at once), for up to about half an hour."""

    autoretry_for = OUTAGES
    retry_backoff = 2
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = 30


app = Celery("atelier", task_cls=OutageRetryingTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _keep_decode_buffers(**_) -> None:
    """Workers decode image after image: Pillow keeps a few freed blocks for the next decode instead
    of faulting fresh pages in each time (atelier.media.decoding; forked pool processes inherit it)."""
    keep_decode_buffers()
