from contextlib import contextmanager

import pytest

from atelier.posts import services


@pytest.fixture(autouse=True)
def _empty_storages(isolated_media):
    """Every posts test starts with empty public and originals storages, so it can list what is left."""
    return isolated_media


@pytest.fixture
def author(user):
    return user


@pytest.fixture
def author_client(signed_in_client):
    return signed_in_client


@pytest.fixture
def draft(author):
    return services.post_create_draft(author=author)


class _QueuedWork:
    """The captured on-commit callbacks that queue work for a worker; the feed cache's own callbacks
    (its second `forget` after commit) are bookkeeping, not work, and are left out."""

    def __init__(self, callbacks):
        self._callbacks = callbacks

    def _work(self):
        return [callback for callback in self._callbacks if callback.__module__ != "atelier.feeds.feed_cache"]

    def __iter__(self):
        return iter(self._work())

    def __len__(self):
        return len(self._work())

    def __getitem__(self, index):
        return self._work()[index]

    def __eq__(self, other):
        return self._work() == other


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Collects the on-commit callbacks (queued tasks); `capture(execute=True)` runs them, as a commit would."""

    @contextmanager
    def capturing(**options):
        with django_capture_on_commit_callbacks(**options) as callbacks:
            yield _QueuedWork(callbacks)

    return capturing


@pytest.fixture
def tasks_run():
    """The names of the Celery tasks that ran (eagerly, in tests) while the fixture was in use: what a
    worker would have been given, apart from the bookkeeping events run on commit."""
    from celery.signals import task_prerun

    names: list[str] = []

    def record(sender=None, **kwargs):
        names.append(sender.name)

    task_prerun.connect(record, weak=False)
    yield names
    task_prerun.disconnect(record)
