"""The one visibility rule (PostQuerySet.visible_to) with blocks and mutes, in both directions."""

import pytest

from atelier.posts.models import Post
from atelier.social.models import Block, Mute
from tests.posts.support import add_image, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(user, capture_files):
    from atelier.posts.services import post_create_draft

    post = post_create_draft(author=user)
    add_image(post, capture=capture_files)
    return publish(post, capture=capture_files)


@pytest.fixture
def capture_files(django_capture_on_commit_callbacks, isolated_media):
    return django_capture_on_commit_callbacks


def visible_ids(viewer):
    return set(Post.objects.visible_to(viewer).values_list("pk", flat=True))


def test_everyone_sees_a_published_post(published, make_user):
    assert published.pk in visible_ids(make_user("reader"))
    assert published.pk in visible_ids(None)


@pytest.mark.parametrize("relation", ["author_blocks_reader", "reader_blocks_author", "reader_mutes_author"])
def test_blocks_and_mutes_hide_posts(published, user, make_user, relation):
    reader = make_user("reader")
    if relation == "author_blocks_reader":
        Block.objects.create(blocker=user, blocked=reader)
    elif relation == "reader_blocks_author":
        Block.objects.create(blocker=reader, blocked=user)
    else:
        Mute.objects.create(muter=reader, muted=user)
    assert published.pk not in visible_ids(reader)
    # Nobody else is affected, and the author still sees their own work.
    assert published.pk in visible_ids(make_user("bystander"))
    assert published.pk in visible_ids(user)


def test_a_muted_person_notices_nothing(published, user, make_user):
    reader = make_user("reader")
    Mute.objects.create(muter=user, muted=reader)
    assert published.pk in visible_ids(reader)
