"""Posts as rows in each state (no media processing: these tests are about who sees what), and clients."""

import pytest
from django.urls import reverse
from django.utils import timezone

from atelier.albums import services
from atelier.posts.models import Post, PostState

HTMX = {"HX-Request": "true"}


def make_post(author, title: str = "Harbour at dawn", *, state: str = "public") -> Post:
    """A post in one of the states the visibility rule knows: public, draft, processing, removed."""
    post = Post.objects.create(
        author=author,
        title=title,
        state={"draft": PostState.DRAFT, "processing": PostState.CHECKING, "removed": PostState.TAKEN_DOWN}.get(
            state, PostState.PUBLIC
        ),
        published_at=None if state == "draft" else timezone.now(),
    )
    return post


def album_page(album) -> str:
    return reverse("albums:detail", kwargs={"handle": album.owner.handle, "album_id": album.pk})


@pytest.fixture
def artist(make_user):
    """Someone whose work the others save."""
    return make_user("ines")


@pytest.fixture
def work(artist) -> Post:
    return make_post(artist, "Lighthouse")


@pytest.fixture
def album(user):
    return services.album_create(owner=user, title="Sea studies", description="Waves", is_public=True)


@pytest.fixture
def private_album(user):
    return services.album_create(owner=user, title="Secret refs", is_public=False)
