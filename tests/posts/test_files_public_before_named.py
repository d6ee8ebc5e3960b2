"""A public post's replaced files (re-signed renditions, re-drawn covers) are in public storage
before the row that names them commits: a page rendered right after the commit asks for them at
once, before the placing after commit has run, and the edge keeps a 404 for seconds (issue 19)."""

import pytest

from atelier.media.models import MediaItem
from atelier.media.renditions import rendition_names
from atelier.posts import services
from atelier.posts.covers import post_covers_render
from atelier.posts.covers_schedule import post_covers_schedule
from atelier.posts.files import cover_names, post_file_names
from atelier.posts.items import media_item_resign
from atelier.posts.models import Post, PostState
from atelier.posts.visibility import hold
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import add_file, add_image, files_in_public_storage, files_withheld, publish, save_details

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


@pytest.fixture
def public_post(draft, capture):
    add_image(draft, capture=capture)
    post = publish(draft, capture=capture)
    assert post.state == PostState.PUBLIC
    return post


def unsigned(item: MediaItem) -> MediaItem:
    """As an item rendered before its AI check settled is stored: no source claim yet."""
    item.renditions = {key: value for key, value in item.renditions.items() if key != "source"}
    item.save(update_fields=["renditions"])
    return item


def test_re_signed_renditions_of_a_public_post_are_public_before_anything_runs_after_commit(public_post, capture):
    item = unsigned(public_post.items.get())
    old = set(rendition_names(item.renditions))

    with capture(execute=False):  # the placing and deleting queued for after commit have not run
        assert media_item_resign(item_id=item.pk)
        item.refresh_from_db()
        new = set(rendition_names(item.renditions))
        assert new and not new & old
        assert new <= files_in_public_storage()
        assert old <= files_in_public_storage()  # pages rendered a moment ago still show these


def test_re_drawn_covers_of_a_public_post_are_public_before_the_row_names_them(public_post, capture):
    old = set(cover_names(public_post.covers))
    with capture(execute=False):
        post_covers_schedule(public_post.pk, force=True)
        version = Post.objects.get(pk=public_post.pk).covers_version
        assert post_covers_render(post_id=public_post.pk, version=version)
        new = set(cover_names(Post.objects.get(pk=public_post.pk).covers))
        assert new and not new & old
        assert new <= files_in_public_storage()


def test_a_held_posts_new_files_stay_withheld(public_post, capture, make_user):
    with capture(execute=True):
        hold(post_id=public_post.pk, reason="Held: a report.", actor=make_user("mod"))
    item = unsigned(public_post.items.get())

    with capture(execute=False):
        assert media_item_resign(item_id=item.pk)
        item.refresh_from_db()
        new = set(rendition_names(item.renditions))
        assert new <= files_withheld()
        assert not new & files_in_public_storage()


def test_a_posts_files_are_public_before_the_state_that_lists_it_commits(draft, capture):
    """Covers and renditions drawn while the post was checked are withheld; the surge bench saw pages
    list a post the moment it went public and ask for its thumbnail before the placing after commit
    had moved it (404s, kept by the edge for seconds)."""
    add_image(draft, capture=capture)  # rendered, checked and its covers drawn while a draft
    names = set(post_file_names(Post.objects.get(pk=draft.pk)))
    assert names and names <= files_withheld()

    with capture(execute=False):  # nothing queued for after commit has run: no placing yet
        save_details(draft, title="Harbour at dawn")
        services.post_publish(post=draft, user=draft.author)
        assert Post.objects.get(pk=draft.pk).state == PostState.PUBLIC
        assert names <= files_in_public_storage()
        assert not names & files_withheld()


def test_a_post_that_stays_checking_keeps_its_files_withheld(draft, capture):
    add_file(draft, quadrant_bytes("PNG", (400, 300)), capture=capture, process=False)  # not rendered yet
    with capture(execute=False):
        save_details(draft, title="Harbour at dawn")
        services.post_publish(post=draft, user=draft.author)
        assert Post.objects.get(pk=draft.pk).state == PostState.CHECKING
        assert not files_in_public_storage()
