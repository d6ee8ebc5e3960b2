import pytest
from django.test import Client

from atelier.posts import services as post_services
from tests.posts.support import add_embed, publish


@pytest.fixture(autouse=True)
def _empty_storages(isolated_media):
    return isolated_media


@pytest.fixture
def author(make_user):
    return make_user("mira")


@pytest.fixture
def reader(make_user):
    return make_user("ossian")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def author_client(author):
    return client_for(author)


@pytest.fixture
def reader_client(reader):
    return client_for(reader)


@pytest.fixture
def make_post(author, django_capture_on_commit_callbacks):
    """A published post (an embed: ready at once, no image processing to wait for)."""

    def make(owner=None, *, title: str = "Harbour at dawn"):
        draft = post_services.post_create_draft(author=owner or author)
        add_embed(draft)
        return publish(draft, capture=django_capture_on_commit_callbacks, title=title)

    return make


@pytest.fixture
def post(make_post):
    return make_post()
