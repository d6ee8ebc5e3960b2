"""An instance without the cloak worker (no torch: requirements/cloak.lock left out, CLOAK_AVAILABLE
off) says so in the composer and the settings page, refuses to turn the cloak on, and never queues a
job nobody would take — even when the author's default asks for every new post to be cloaked."""

import pytest
from django.test import Client

from atelier.posts import services as post_services
from atelier.protection.cloak import services
from atelier.protection.cloak.models import CloakPreference, CloakState, ItemCloak, PostCloak
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import add_file, publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


@pytest.fixture(autouse=True)
def _no_cloak_worker(settings):
    settings.CLOAK_AVAILABLE = False


@pytest.fixture
def artist(make_user):
    return make_user("sable")


@pytest.fixture
def artist_client(artist):
    client = Client()
    client.force_login(artist)
    return client


def test_the_composer_says_the_cloak_is_unavailable_and_offers_no_toggle(artist, artist_client):
    draft = post_services.post_create_draft(author=artist)
    page = artist_client.get(f"/posts/{draft.pk}/edit").content.decode()
    assert 'id="cloak-unavailable"' in page
    assert 'name="enabled" id="cloak-enabled"' not in page
    settings_page = artist_client.get("/settings/cloak/").content.decode()
    assert 'id="cloak-unavailable"' in settings_page


def test_turning_it_on_is_refused_with_the_reason_and_nothing_is_queued(
    artist, artist_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    draft = post_services.post_create_draft(author=artist)
    item = add_file(draft, quadrant_bytes(), capture=capture)
    post = publish(draft, capture=capture, title="Salt marsh")
    with capture(execute=True) as callbacks:
        response = artist_client.post(f"/posts/{post.pk}/cloak", {"enabled": "on", "strength": "low"}, follow=True)
    assert response.status_code == 200
    assert "not available on this instance" in response.content.decode()
    assert callbacks == []
    assert not PostCloak.objects.filter(post=post).exists()
    assert not ItemCloak.objects.filter(item=item).exists()
    # Turning it off stays possible (nothing to undo, but never an error).
    with capture(execute=True):
        off = artist_client.post(f"/posts/{post.pk}/cloak", {"strength": "low"})
    assert off.status_code == 302


def test_an_account_default_to_cloak_new_work_marks_items_refused_instead_of_queueing(
    artist, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    CloakPreference.objects.create(user=artist, cloak_new_work=True, strength="low")
    draft = post_services.post_create_draft(author=artist)
    with capture(execute=True) as callbacks:
        item = add_file(draft, quadrant_bytes(), capture=capture)
    assert not any("cloak_media_item" in repr(callback) for callback in callbacks)
    cloak = ItemCloak.objects.get(item=item)
    assert cloak.state == CloakState.REFUSED
    assert cloak.message == services.UNAVAILABLE
    with pytest.raises(services.ValidationError):
        services.item_recloak(item=item, user=artist)
