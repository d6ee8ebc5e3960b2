"""The demo's review queue: a moderator, an upload the real detection step holds, and a report; once."""

import pytest
from django.core.management import call_command
from django.test import Client

from atelier.accounts.models import User
from atelier.moderation.models import ReviewCase
from tests.conftest import pass_second_factor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


def test_seed_demo_moderation_fills_the_queue_once(make_user, make_published_post):
    make_published_post(make_user("kofi_mensah"), title="Tidewake: the keeper's island")
    make_user("ines_ortega")
    call_command("seed_demo_moderation")
    held = ReviewCase.objects.get(labelled=True)
    assert held.post.is_held and "Automatic1111" in held.post.held_reason
    reported = ReviewCase.objects.get(report_count=1)
    assert reported.post.title == "Tidewake: the keeper's island" and not reported.post.is_held
    moderator = User.objects.get(handle="mira_moderates")
    client = Client()
    pass_second_factor(client, moderator)
    queue = client.get("/moderation/").content.decode()
    assert "Lighthouse at dusk (oil)" in queue and "Tidewake" in queue

    call_command("seed_demo_moderation")
    assert ReviewCase.objects.count() == 2
