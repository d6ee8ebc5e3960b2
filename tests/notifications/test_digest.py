"""The daily digest: one email per person, grouped, per-type flags respected, silent on a second run."""

import pytest
from django.core import mail

from atelier.notifications.models import NotificationSettings
from atelier.notifications.tasks import send_daily_digests
from atelier.social import services

pytestmark = pytest.mark.django_db


def run(capture) -> list:
    mail.outbox.clear()
    with capture(execute=True):
        send_daily_digests.delay()
    return list(mail.outbox)


@pytest.fixture
def activity(make_user, author, reader, post):
    """Three likes and a follow for the author; a comment mentioning the reader."""
    for handle in ("fan1", "fan2", "fan3"):
        services.like_create(user=make_user(handle), post_id=post.pk)
    services.follow_create(follower=make_user("newfollower"), followee=author)
    services.comment_create(author=author, post_id=post.pk, body="thanks @ossian")


def test_one_grouped_email_per_person(activity, author, reader, django_capture_on_commit_callbacks):
    sent = run(django_capture_on_commit_callbacks)
    assert sorted(message.to[0] for message in sent) == sorted([author.email, reader.email])
    to_author = next(message for message in sent if message.to == [author.email])
    assert to_author.subject == "Atelier: 4 new notifications"
    assert "- fan3 and 2 others liked “Harbour at dawn”" in to_author.body
    assert "- newfollower followed you" in to_author.body
    to_reader = next(message for message in sent if message.to == [reader.email])
    assert "mira mentioned you on “Harbour at dawn”" in to_reader.body


def test_a_second_run_the_same_day_sends_nothing(activity, make_user, author, post, django_capture_on_commit_callbacks):
    assert len(run(django_capture_on_commit_callbacks)) == 2
    services.like_create(user=make_user("latecomer"), post_id=post.pk)
    assert run(django_capture_on_commit_callbacks) == []


def test_per_type_flags_and_digest_off(activity, author, reader, django_capture_on_commit_callbacks):
    NotificationSettings.objects.create(user=author, email_like=False)
    NotificationSettings.objects.create(user=reader, digest=False)
    sent = run(django_capture_on_commit_callbacks)
    assert [message.to for message in sent] == [[author.email]]
    assert "liked" not in sent[0].body and "newfollower followed you" in sent[0].body
    assert sent[0].subject == "Atelier: 1 new notification"


def test_read_notifications_and_flagged_out_types_send_nothing(
    activity, author, reader, author_client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    author_client.get(reverse("notifications:list"))
    NotificationSettings.objects.create(user=reader, email_mention=False)
    assert run(django_capture_on_commit_callbacks) == []


def test_the_task_goes_to_the_email_queue_and_runs_daily(settings):
    from celery.schedules import crontab

    assert settings.CELERY_TASK_ROUTES["atelier.notifications.tasks.*"] == {"queue": "email"}
    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "atelier.notifications.tasks.send_daily_digests"
    )
    assert isinstance(entry["schedule"], crontab)
