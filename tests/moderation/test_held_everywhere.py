"""A held post is invisible to every other person on every page, feed, search result, album,
bookmark list, count and API listing — even to people who followed, liked, bookmarked and filed it
in a public album before it was held — and stays visible to its author with the reason."""

import pytest
from django.test import Client

from atelier.albums import services as albums
from atelier.social import services as social
from tests.moderation.conftest import detector_holds

pytestmark = pytest.mark.django_db

TITLE = "Lighthouse at dusk"


@pytest.fixture
def fan_and_paths(artist, make_user, make_published_post, django_capture_on_commit_callbacks):
    fan = make_user("devotee")
    post = make_published_post(artist, title=TITLE, tags=("lighthouse",), category="illustration")
    make_published_post(artist, title="Harbour by hand", tags=("lighthouse",), category="illustration")
    social.follow_create(follower=fan, followee=artist)
    social.like_create(user=fan, post_id=post.pk)
    albums.bookmark_add(user=fan, post_id=post.pk)
    album = albums.album_create(owner=fan, title="Favourites", is_public=True)
    albums.album_add_post(album=album, user=fan, post_id=post.pk)
    with django_capture_on_commit_callbacks(execute=True):
        detector_holds(post, "Held: test.")
    paths = [
        "/",
        "/feed/following/",
        "/feed/discover/",
        "/tags/lighthouse/",
        "/categories/illustration/",
        "/search/?q=lighthouse",
        f"/@{artist.handle}",
        "/bookmarks/",
        f"/@{fan.handle}/albums/",
        f"/@{fan.handle}/albums/{album.pk}/",
        f"/api/v1/profiles/{artist.handle}/posts",
    ]
    return fan, post, paths


def test_nobody_else_sees_a_held_post_anywhere(fan_and_paths, artist, client):
    fan, post, paths = fan_and_paths
    fan_client = Client()
    fan_client.force_login(fan)
    for viewer in (fan_client, client):
        assert viewer.get(post.get_absolute_url()).status_code == 404
        assert viewer.get(f"/api/v1/posts/{post.pk}").status_code == 404
        for path in paths:
            response = viewer.get(path)
            if response.status_code == 302:
                continue  # pages only for signed-in people
            body = response.content.decode()
            assert TITLE not in body, path
            assert f"/posts/{post.pk}/" not in body, path
    albums_page = fan_client.get(f"/@{fan.handle}/albums/").content.decode()
    assert "0 posts" in albums_page  # the album's count leaves it out too
    assert "Harbour by hand" in fan_client.get(f"/@{artist.handle}").content.decode()  # the rest still shows


def test_liking_commenting_and_bookmarking_a_held_post_are_refused(fan_and_paths):
    fan, post, _ = fan_and_paths
    fan_client = Client()
    fan_client.force_login(fan)
    assert fan_client.post(f"/posts/{post.pk}/like").status_code == 404
    assert fan_client.post(f"/posts/{post.pk}/comments", {"body": "lovely"}).status_code == 404
    assert fan_client.post(f"/posts/{post.pk}/bookmark").status_code == 404


def test_its_author_still_sees_it_with_the_reason(fan_and_paths, artist_client):
    _, post, _ = fan_and_paths
    page = artist_client.get(post.get_absolute_url()).content.decode()
    assert TITLE in page and "Held: test." in page and "only you can see it" in page
    assert TITLE in artist_client.get(f"/@{post.author.handle}").content.decode()
