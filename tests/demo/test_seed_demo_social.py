"""The demo's social activity: follows, likes, comments with a reply and a mention, an album; once."""

import pytest
from django.core.management import call_command

from atelier.albums.models import Album
from atelier.social.models import Comment, Follow, Like

pytestmark = pytest.mark.django_db


def test_seed_demo_social_makes_a_living_site_once(make_user, make_published_post):
    people = [make_user(handle) for handle in ("ines_ortega", "kofi_mensah", "yuki_tanabe", "lanternfish_games")]
    for person in people:
        for hours in (1, 5, 9):
            make_published_post(person, hours_ago=hours)

    call_command("seed_demo_social")
    follows, likes, comments = Follow.objects.count(), Like.objects.count(), Comment.objects.count()
    assert follows >= 4 and likes > 0 and comments > 0
    reply = Comment.objects.filter(parent__isnull=False).first()
    assert reply and f'href="/@{reply.parent.author.handle}"' in reply.body_html
    album = Album.objects.get()
    assert album.is_public and album.owner.handle == "lanternfish_games" and album.items.count() > 0

    call_command("seed_demo_social")
    assert (Follow.objects.count(), Like.objects.count(), Comment.objects.count()) == (follows, likes, comments)
