"""The Celery application: settings come from Django's CELERY_* settings."""

import os

from celery import Celery
from celery.signals import worker_init

from atelier.media.decoding import keep_decode_buffers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")

app = Celery("atelier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _keep_decode_buffers(**_) -> None:
    """Workers decode image after image: Pillow keeps a few freed blocks for the next decode instead
    of faulting fresh pages in each time (atelier.media.decoding; forked pool processes inherit it)."""
    keep_decode_buffers()
