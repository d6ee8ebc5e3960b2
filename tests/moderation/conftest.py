import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from atelier.media.models import MediaItem, MediaKind
from atelier.media.states import CheckState, MediaState
from atelier.moderation import services
from atelier.posts import media_checks
from tests.conftest import image_bytes, pass_second_factor


@pytest.fixture
def moderator(make_user):
    person = make_user("moderator")
    person.is_staff = True
    person.save(update_fields=["is_staff"])
    person.user_permissions.add(Permission.objects.get(codename="review_case"))
    return person


@pytest.fixture
def moderator_client(moderator):
    client = Client()
    pass_second_factor(client, moderator)
    return client


@pytest.fixture
def artist(make_user):
    return make_user("inkwell")


@pytest.fixture
def artist_client(artist):
    client = Client()
    client.force_login(artist)
    return client


@pytest.fixture
def held_post(artist, make_published_post, django_capture_on_commit_callbacks):
    """A published post the detector held (as the detection step does, without running it): its
    item's check holds (posts.media_checks) and a case is opened."""
    post = make_published_post(artist, title="Lighthouse at dusk")
    with django_capture_on_commit_callbacks(execute=True):
        detector_holds(post, "Held: the file carries the generation settings of ComfyUI.")
    post.refresh_from_db()
    return post


def detector_holds(post, reason: str, *, labelled: bool = True) -> None:
    """What the detection step does for a held item, without running the detectors: the item's check
    holds (posts.media_checks, which moves the post) and a case is opened."""
    item = MediaItem.objects.create(post=post, kind=MediaKind.EMBED, state=MediaState.READY, ai_check=CheckState.PASS)
    media_checks.item_check_record(item_id=item.pk, check=CheckState.HOLD, reason=reason, said_ai=labelled)
    services.case_open_from_detection(post=post, reason=reason, labelled=labelled)


def wip_png() -> bytes:
    return image_bytes("PNG", size=(320, 240), colour=(120, 80, 60))
