"""The notifications page, grouping, read state, the nav badge and the settings page."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atelier.core.cursors import encode_cursor
from atelier.notifications.models import Notification, NotificationSettings, Verb
from atelier.posts.models import PostState
from atelier.social import services
from atelier.social.models import Block
from atelier.social.relation_sets import hidden_author_id_set

pytestmark = pytest.mark.django_db


def page(client) -> str:
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    return response.content.decode()


def test_likes_and_follows_are_grouped(make_user, author, author_client, post):
    ines = make_user("ines")
    ines.profile.display_name = "Inés Ortega"
    ines.profile.save()
    for number in range(11):
        services.like_create(user=make_user(f"fan{number}"), post_id=post.pk)
    services.like_create(user=ines, post_id=post.pk)
    for handle in ("fola", "folb", "folc"):
        services.follow_create(follower=make_user(handle), followee=author)
    body = page(author_client)
    assert "3 people followed you" in body
    assert "Inés Ortega and 11 others liked “Harbour at dawn”" in body
    assert body.count('<li class="notification') == 2
    assert post.get_absolute_url() in body


def test_different_verbs_or_posts_are_separate_lines(make_user, author, author_client, make_post):
    first, second = make_post(title="Harbour"), make_post(title="Dunes")
    fan = make_user("fan")
    services.like_create(user=fan, post_id=first.pk)
    services.like_create(user=fan, post_id=second.pk)
    services.comment_create(author=fan, post_id=second.pk, body="Wow")
    body = page(author_client)
    assert "fan liked “Harbour”" in body and "fan liked “Dunes”" in body and "fan commented on “Dunes”" in body


def test_two_people_are_named(make_user, author, author_client, post):
    services.like_create(user=make_user("anna"), post_id=post.pk)
    services.like_create(user=make_user("bela"), post_id=post.pk)
    assert "bela and anna liked “Harbour at dawn”" in page(author_client)


def _notifications(author, make_user, make_published_post, count):
    actors = [make_user(f"actor{count}x{number}") for number in range(3)]
    posts = [make_published_post(author, title=f"work {number}") for number in range(3)]
    now = timezone.now()
    verbs = [Verb.LIKE, Verb.COMMENT, Verb.FOLLOW, Verb.MENTION, Verb.REPLY]
    Notification.objects.bulk_create(
        Notification(
            recipient=author,
            actor=actors[number % 3],
            verb=verbs[number % 5],
            post=None if verbs[number % 5] == Verb.FOLLOW else posts[number % 3],
            created_at=now - timedelta(hours=25 * number),  # a day apart: each its own line
        )
        for number in range(count)
    )


def test_the_page_runs_a_fixed_number_of_queries(make_user, author, author_client, make_published_post):
    _notifications(author, make_user, make_published_post, 3)
    hidden_author_id_set(author)  # cached after anyone's first page, as in steady use
    author_client.get("/jobs/")  # so is the signed-in person
    with CaptureQueriesContext(connection) as few:
        page(author_client)
    Notification.objects.all().delete()
    _notifications(author, make_user, make_published_post, 30)
    with CaptureQueriesContext(connection) as many:
        body = page(author_client)
    assert body.count('<li class="notification') == 30
    assert len(few) == len(many)


def test_opening_the_page_marks_shown_items_read(make_user, author, author_client, post):
    services.like_create(user=make_user("fan"), post_id=post.pk)
    assert "notification-unread" in page(author_client)
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "notification-unread" not in page(author_client)


def test_mark_all_read(make_user, author, author_client, post):
    services.like_create(user=make_user("fan"), post_id=post.pk)
    response = author_client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302 and response.url == reverse("notifications:list")
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_mark_all_read_touches_only_your_own(make_user, author, reader, reader_client, post):
    services.like_create(user=make_user("fan"), post_id=post.pk)
    reader_client.post(reverse("notifications:mark_all_read"))
    assert Notification.objects.get(recipient=author).read_at is None


def test_mark_all_read_needs_csrf_and_post(author, author_client):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    assert client.post(reverse("notifications:mark_all_read")).status_code == 403
    assert author_client.get(reverse("notifications:mark_all_read")).status_code == 405


def test_other_peoples_notifications_are_never_shown(make_user, author, reader, reader_client, post):
    services.like_create(user=make_user("secretfan"), post_id=post.pk)
    body = page(reader_client)
    assert "secretfan" not in body and "Harbour at dawn" not in body
    assert Notification.objects.get(recipient=author).read_at is None


def test_posts_no_longer_visible_are_not_shown(make_user, author, author_client, reader, reader_client, make_post):
    kept, drafted, removed = make_post(title="Kept"), make_post(title="Drafted"), make_post(title="Removed")
    for item in (kept, drafted, removed):
        services.comment_create(author=author, post_id=item.pk, body="@ossian have a look")
    drafted.state = PostState.DRAFT
    drafted.save()
    removed.state = PostState.TAKEN_DOWN
    removed.save()
    body = page(reader_client)
    assert "Kept" in body and "Drafted" not in body and "Removed" not in body
    Block.objects.create(blocker=author, blocked=reader)
    assert "Kept" not in page(reader_client)


def test_anonymous_is_sent_to_log_in(client):
    for name in ("list", "settings"):
        response = client.get(reverse(f"notifications:{name}"))
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert client.post(reverse("notifications:mark_all_read")).status_code == 302
    assert client.get(reverse("notifications:badge")).status_code == 204


def test_badge_counts_unread(make_user, author, author_client, reader_client, post):
    services.like_create(user=make_user("fan1"), post_id=post.pk)
    services.like_create(user=make_user("fan2"), post_id=post.pk)
    body = author_client.get(reverse("notifications:badge")).content.decode()
    assert 'aria-label="Notifications, 2 unread"' in body and ">2</span>" in body
    assert 'hx-trigger="every 30s"' in body and "<html" not in body
    assert 'aria-label="Notifications, 0 unread"' in reader_client.get(reverse("notifications:badge")).content.decode()
    page(author_client)
    assert "0 unread" in author_client.get(reverse("notifications:badge")).content.decode()


def test_base_page_polls_the_badge_for_signed_in_people(author_client, client):
    body = author_client.get(reverse("notifications:settings")).content.decode()
    assert f'hx-get="{reverse("notifications:badge")}" hx-trigger="load, every 30s"' in body
    assert reverse("notifications:badge") not in client.get(reverse("accounts:login")).content.decode()


def test_settings_page_saves(author, author_client):
    url = reverse("notifications:settings")
    assert author_client.get(url).status_code == 200
    response = author_client.post(url, {"digest": "on", "email_follow": "on"})
    assert response.status_code == 302
    preferences = NotificationSettings.objects.get(user=author)
    assert preferences.digest and preferences.email_follow and not preferences.email_like


def test_older_notifications_come_page_by_page(make_user, author, author_client, make_published_post):
    """120 follows read in pages of 50 through the signed cursor: plain links for browsers without
    JavaScript, fragments for htmx; a run crossing a page boundary continues on the next page."""
    followers = [make_user(f"f{number:03d}") for number in range(120)]
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(recipient=author, actor=follower, verb=Verb.FOLLOW, created_at=now - timedelta(minutes=number))
        for number, follower in enumerate(followers)
    )
    seen, url, pages = [], reverse("notifications:list"), 0
    response = author_client.get(url)
    while True:
        pages += 1
        body = response.content.decode()
        seen += [int(count) for count in re.findall(r"(\d+) people followed you", body)]
        found = re.search(r'href="(/notifications/\?cursor=[^"]+)"', body)
        if not found:
            break
        response = author_client.get(found.group(1).replace("&amp;", "&"), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert "<html" not in response.content.decode()  # only the next lines
    assert pages == 3
    assert seen == [50, 50, 20]
    assert not Notification.objects.filter(recipient=author, read_at__isnull=True).exists()


def test_a_tampered_cursor_is_a_clear_400(author_client):
    response = author_client.get(reverse("notifications:list"), {"cursor": "forged:cursor"})
    assert response.status_code == 400
    assert "broken or too old" in response.content.decode()
    feed_cursor = encode_cursor("discover", {"position": [1.0, 1]})  # a real cursor of another list
    response = author_client.get(reverse("notifications:list"), {"cursor": feed_cursor})
    assert response.status_code == 400
