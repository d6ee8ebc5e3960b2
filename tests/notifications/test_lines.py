"""What a notification line shows (issue 22: no text-only notifications): the people's avatars, each
linked to their profile, the work's thumbnail linked to where it happened, "just now" for what just
happened; and how lines group: one post's likes in a day make one line even with other news between."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from atelier.notifications.models import Notification, Verb
from atelier.notifications.selectors import group_notifications, visible_notifications
from atelier.posts import services as post_services
from atelier.social import services
from tests.media.sample_files import quadrant_bytes, store_profile_image
from tests.posts.support import add_image, publish

pytestmark = pytest.mark.django_db


def _page(client) -> str:
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    return response.content.decode()


def _lines(body: str) -> list[str]:
    return re.findall(r'<li class="notification[^"]*">(.*?)</li>', body, flags=re.S)


def test_a_line_shows_the_actor_and_the_work(
    make_user, author, author_client, django_capture_on_commit_callbacks, isolated_media
):
    capture = django_capture_on_commit_callbacks
    draft = post_services.post_create_draft(author=author)
    add_image(draft, capture=capture, size=(600, 400))
    post = publish(draft, capture=capture, title="Harbour <b>lights</b>")
    fan = make_user("fan_with_face")
    fan.profile.display_name = 'Ana "Brush" Lee'
    fan.profile.save()
    store_profile_image(fan.profile, "avatar", quadrant_bytes("PNG", (300, 300)), capture=capture)
    services.like_create(user=fan, post_id=post.pk)

    body = _page(author_client)
    assert "{#" not in body and "One page of notification" not in body  # no template comment leaks into the list
    [line] = _lines(body)
    avatar_link = re.search(r'<a class="notification-avatar" href="([^"]+)" aria-label="([^"]+)"><img class="av', line)
    assert avatar_link and avatar_link.groups() == ("/@fan_with_face", "Ana &quot;Brush&quot; Lee (@fan_with_face)")
    work = re.search(r'<a class="notification-work" href="([^"]+)"[^>]*><img src="([^"]+)"', line)
    assert (
        work
        and work.group(1) == post.get_absolute_url()
        and work.group(2) == post.thumbnail["src"].replace("&", "&amp;")
    )
    assert "Harbour &lt;b&gt;lights&lt;/b&gt;" in line and "<b>" not in line
    assert "just now" in line and "0\xa0minutes" not in line and "0 minutes" not in line


def test_without_an_avatar_the_initial_shows_and_a_follow_has_no_thumbnail(make_user, author, author_client):
    services.follow_create(follower=make_user("zoe_no_face"), followee=author)
    [line] = _lines(_page(author_client))
    assert '<span class="avatar avatar-sm avatar-empty" aria-hidden="true">Z</span>' in line
    assert "notification-work" not in line


def test_a_group_shows_up_to_three_faces(make_user, author, author_client, post):
    for number in range(5):
        services.like_create(user=make_user(f"fan{number}"), post_id=post.pk)
    [line] = _lines(_page(author_client))
    assert line.count('class="notification-avatar"') == 3
    assert "fan4 and 4 others liked" in line


def test_moderation_lines_show_the_site_not_a_person(author, author_client, post):
    Notification.objects.create(recipient=author, verb=Verb.APPROVED, post=post)
    [line] = _lines(_page(author_client))
    assert "notification-site" in line and 'notification-avatar" href' not in line


def _notify(recipient, actor, verb, post, at):
    return Notification.objects.create(recipient=recipient, actor=actor, verb=verb, post=post, created_at=at)


def test_one_posts_likes_in_a_day_make_one_line_with_other_news_between(make_user, author, make_post):
    harbour, dunes = make_post(title="Harbour"), make_post(title="Dunes")
    anna, bela, cleo = make_user("anna"), make_user("bela"), make_user("cleo")
    now = timezone.now()
    _notify(author, anna, Verb.LIKE, harbour, now - timedelta(hours=5))
    _notify(author, bela, Verb.COMMENT, dunes, now - timedelta(hours=3))
    _notify(author, cleo, Verb.FOLLOW, None, now - timedelta(hours=2))
    _notify(author, bela, Verb.LIKE, harbour, now - timedelta(hours=1))
    _notify(author, cleo, Verb.LIKE, harbour, now - timedelta(minutes=5))

    groups = group_notifications(visible_notifications(author))
    assert [group.text for group in groups] == [
        "cleo and 2 others liked “Harbour”",
        "cleo followed you",
        "bela commented on “Dunes”",
    ]
    assert groups[0].latest_at == now - timedelta(minutes=5)


def test_likes_days_apart_stay_separate_lines(make_user, author, make_post):
    harbour = make_post(title="Harbour")
    now = timezone.now()
    _notify(author, make_user("anna"), Verb.LIKE, harbour, now - timedelta(days=3))
    _notify(author, make_user("bela"), Verb.LIKE, harbour, now - timedelta(days=2, hours=1))
    _notify(author, make_user("cleo"), Verb.LIKE, harbour, now - timedelta(hours=1))
    groups = group_notifications(visible_notifications(author))
    assert [group.text for group in groups] == ["cleo liked “Harbour”", "bela and anna liked “Harbour”"]


def test_a_day_of_follows_is_one_line(make_user, author):
    now = timezone.now()
    for number in range(4):
        _notify(author, make_user(f"follower{number}"), Verb.FOLLOW, None, now - timedelta(hours=5 * number))
    [group] = group_notifications(visible_notifications(author))
    assert group.text == "4 people followed you"
