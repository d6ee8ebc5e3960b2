"""Each action notifies the right person once; self-actions and blocked or muted actors notify nobody."""

import pytest
from django.core.exceptions import ValidationError

from atelier.notifications.models import Notification, Verb
from atelier.social import services
from atelier.social.models import Block, Mute

pytestmark = pytest.mark.django_db


def only(recipient):
    return list(Notification.objects.filter(recipient=recipient).values_list("actor_id", "verb", "post_id"))


def test_follow_notifies_the_followee_once(author, reader):
    services.follow_create(follower=reader, followee=author)
    services.follow_create(follower=reader, followee=author)
    assert only(author) == [(reader.pk, Verb.FOLLOW, None)]
    assert not Notification.objects.filter(recipient=reader).exists()


def test_like_notifies_the_author(author, reader, post):
    services.like_create(user=reader, post_id=post.pk)
    services.like_create(user=reader, post_id=post.pk)
    assert only(author) == [(reader.pk, Verb.LIKE, post.pk)]


def test_comment_notifies_the_post_author(author, reader, post):
    comment = services.comment_create(author=reader, post_id=post.pk, body="Lovely light")
    assert only(author) == [(reader.pk, Verb.COMMENT, post.pk)]
    assert Notification.objects.get(recipient=author).comment == comment


def test_reply_notifies_the_parent_author_and_the_post_author(author, reader, third, post):
    parent = services.comment_create(author=third, post_id=post.pk, body="First!")
    Notification.objects.all().delete()
    services.comment_create(author=reader, post_id=post.pk, body="Agreed", parent_id=parent.pk)
    assert only(third) == [(reader.pk, Verb.REPLY, post.pk)]
    assert only(author) == [(reader.pk, Verb.COMMENT, post.pk)]


def test_mentions_notify_existing_people_once_each(author, reader, third, post):
    services.comment_create(author=reader, post_id=post.pk, body="@ines look, @ines! and @nobody_here and @mira")
    assert only(third) == [(reader.pk, Verb.MENTION, post.pk)]
    # The post's author is mentioned too but told once, as the comment on their post.
    assert only(author) == [(reader.pk, Verb.COMMENT, post.pk)]


def test_a_reply_mentioning_the_parent_author_is_one_notification(author, reader, third, post):
    parent = services.comment_create(author=third, post_id=post.pk, body="First!")
    Notification.objects.all().delete()
    services.comment_create(author=reader, post_id=post.pk, body="@ines yes", parent_id=parent.pk)
    assert only(third) == [(reader.pk, Verb.REPLY, post.pk)]


def test_own_actions_notify_nobody(author, post):
    services.like_create(user=author, post_id=post.pk)
    services.comment_create(author=author, post_id=post.pk, body="Thanks all, @mira here")
    assert not Notification.objects.exists()


@pytest.mark.parametrize("relation", ["recipient_blocks", "actor_blocks", "recipient_mutes"])
def test_blocked_or_muted_actors_notify_nobody(author, reader, third, post, relation):
    if relation == "recipient_blocks":
        Block.objects.create(blocker=third, blocked=reader)
    elif relation == "actor_blocks":
        Block.objects.create(blocker=reader, blocked=third)
    else:
        Mute.objects.create(muter=third, muted=reader)
    services.comment_create(author=reader, post_id=post.pk, body="@ines hi")
    assert not Notification.objects.filter(recipient=third).exists()
    assert only(author) == [(reader.pk, Verb.COMMENT, post.pk)]


def test_muted_follower_and_liker_notify_nobody(author, reader, post):
    Mute.objects.create(muter=author, muted=reader)
    services.follow_create(follower=reader, followee=author)
    services.like_create(user=reader, post_id=post.pk)
    assert not Notification.objects.exists()


def test_a_failed_comment_leaves_no_notification(author, reader, post):
    with pytest.raises(ValidationError):
        services.comment_create(author=reader, post_id=post.pk, body="x" * 3000)
    assert not Notification.objects.exists()
