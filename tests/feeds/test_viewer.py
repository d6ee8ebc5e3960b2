"""The person's sets a feed page reads come from one explicit call: cached in one read, loaded from
the database (and stored) when missing, current after every change, nothing for visitors."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from atelier.albums.services import bookmark_add
from atelier.feeds.models import FeedPreferences, MatureChoice
from atelier.feeds.viewer import VISITOR, viewer_sets
from atelier.social.services import block_create, follow_create, mute_create

pytestmark = pytest.mark.django_db


def test_visitors_have_no_sets_and_cost_no_read(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert viewer_sets(AnonymousUser()) is VISITOR
        assert viewer_sets(None) is VISITOR


def test_sets_are_loaded_once_then_read_from_the_cache(user, make_user, make_published_post, django_assert_num_queries):
    followed, blocked, muted = make_user("followed"), make_user("blocked"), make_user("muted")
    follow_create(follower=user, followee=followed)
    block_create(blocker=user, blocked=blocked)
    mute_create(muter=user, muted=muted)
    post = make_published_post(followed)
    bookmark_add(user=user, post_id=post.pk)
    FeedPreferences.objects.create(user=user, mature=MatureChoice.BLUR)

    first = viewer_sets(user)
    with django_assert_num_queries(0):
        again = viewer_sets(user)
    assert first == again
    assert again.followed == {followed.pk}
    assert again.hidden == {blocked.pk, muted.pk}
    assert again.bookmarked == {post.pk}
    assert again.preferences.mature == MatureChoice.BLUR


def test_a_change_shows_in_the_next_load(user, make_user):
    viewer_sets(user)
    artist = make_user("newly_followed")
    follow_create(follower=user, followee=artist)
    assert viewer_sets(user).followed == {artist.pk}
    block_create(blocker=artist, blocked=user)  # blocked by them: hidden both ways
    assert artist.pk in viewer_sets(user).hidden


def test_one_person_s_sets_are_never_read_for_another(user, make_user):
    other = make_user("other")
    follow_create(follower=other, followee=make_user("someone"))
    viewer_sets(other)
    assert viewer_sets(user).followed == frozenset()  # keys are per person
    cache.delete_many([f"social:followed:{user.pk}"])
    assert viewer_sets(user).followed == frozenset()
