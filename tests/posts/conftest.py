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


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Collects the on-commit callbacks (queued tasks); `capture(execute=True)` runs them, as a commit would."""
    return django_capture_on_commit_callbacks
