"""Follow, block and mute from a profile; the blocked-and-muted settings page."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atelier.social.models import Block, Follow, Mute
from tests.social.conftest import client_for

pytestmark = pytest.mark.django_db


def action(name: str, user) -> str:
    return reverse(f"social:{name}", kwargs={"handle": user.handle})


def test_follow_and_unfollow_without_javascript(reader_client, reader, author):
    response = reader_client.post(action("follow", author))
    assert response.status_code == 302 and response.url == author.get_absolute_url()
    assert Follow.objects.filter(follower=reader, followee=author).exists()
    page = reader_client.get(author.get_absolute_url()).content.decode()
    assert "<strong>1</strong> follower<" in page and ">Unfollow</button>" in page
    reader_client.post(action("unfollow", author))
    assert not Follow.objects.exists()


def test_follow_under_htmx_answers_with_the_button(reader_client, author):
    response = reader_client.post(action("follow", author), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="follow-box" id="follow-box">') and "Unfollow" in body
    assert "<html" not in body


def test_following_yourself_is_a_400_with_a_message(author_client, author):
    response = author_client.post(action("follow", author))
    assert response.status_code == 400
    assert "You can&#x27;t follow yourself." in response.content.decode()
    assert not Follow.objects.exists()


def test_anonymous_is_sent_to_log_in(client, author):
    for name in ("follow", "block", "mute"):
        response = client.post(action(name, author))
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert not (Follow.objects.exists() or Block.objects.exists() or Mute.objects.exists())


def test_csrf_is_enforced(reader, author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    assert client.post(action("follow", author)).status_code == 403
    assert not Follow.objects.exists()


def test_only_post_is_accepted(reader_client, author):
    assert reader_client.get(action("follow", author)).status_code == 405


def test_blocking_removes_follows_both_ways(reader_client, reader, author):
    Follow.objects.create(follower=reader, followee=author)
    Follow.objects.create(follower=author, followee=reader)
    assert reader_client.post(action("block", author)).status_code == 302
    assert Block.objects.filter(blocker=reader, blocked=author).exists()
    assert not Follow.objects.exists()


def test_a_blocked_person_sees_the_profile_without_posts_or_follow_button(author, reader, reader_client, post):
    before = reader_client.get(author.get_absolute_url()).content.decode()
    assert post.get_absolute_url() in before and ">Follow</button>" in before
    Block.objects.create(blocker=author, blocked=reader)
    response = reader_client.get(author.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert post.get_absolute_url() not in page and "Harbour at dawn" not in page
    assert ">Follow</button>" not in page and ">Unfollow</button>" not in page
    # ...and following anyway, or reaching the post, is a 404.
    assert reader_client.post(action("follow", author)).status_code == 404
    assert reader_client.get(post.get_absolute_url()).status_code == 404
    assert not Follow.objects.exists()


def test_mute_and_unmute(reader_client, reader, author, post):
    reader_client.post(action("mute", author))
    assert Mute.objects.filter(muter=reader, muted=author).exists()
    assert reader_client.get(post.get_absolute_url()).status_code == 404
    page = reader_client.get(author.get_absolute_url()).content.decode()
    assert ">Unmute</button>" in page
    reader_client.post(action("unmute", author))
    assert not Mute.objects.exists()


def test_settings_lists_blocks_and_mutes_and_undoes_them(reader_client, reader, author, make_user):
    other = make_user("quiet_one")
    Block.objects.create(blocker=reader, blocked=author)
    Mute.objects.create(muter=reader, muted=other)
    address = reverse("social:settings")
    page = reader_client.get(address).content.decode()
    assert "@mira" in page and "@quiet_one" in page
    assert f'href="{address}" aria-current="page"' in page
    response = reader_client.post(action("unblock", author), {"next": address})
    assert response.status_code == 302 and response.url == address
    response = reader_client.post(action("unmute", other), {"next": "https://evil.example/"})
    assert response.url == other.get_absolute_url(), "no open redirect"
    assert not Block.objects.exists() and not Mute.objects.exists()
    assert reverse("social:settings") in reader_client.get(reverse("accounts:settings_account")).content.decode()


def count_queries(client, address) -> int:
    client.get(address)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def test_the_profile_runs_the_same_queries_for_few_or_many_followers(reader_client, author, make_user):
    for number in range(2):
        Follow.objects.create(follower=make_user(f"fan{number}"), followee=author)
    few = count_queries(reader_client, author.get_absolute_url())
    for number in range(2, 12):
        fan = make_user(f"fan{number}")
        Follow.objects.create(follower=fan, followee=author)
        Follow.objects.create(follower=author, followee=fan)
    many = count_queries(reader_client, author.get_absolute_url())
    assert few == many
    page = reader_client.get(author.get_absolute_url()).content.decode()
    assert "<strong>12</strong> followers" in page and "<strong>10</strong> following" in page
    assert "<strong>12</strong> followers" in client_for(author).get(author.get_absolute_url()).content.decode()
