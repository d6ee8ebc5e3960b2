"""Pages through the real edge: anonymous readers of public pages get the micro-cache, anyone signed
in, any form (CSRF cookie) and any page outside the public list go to the app; an unpublished post
leaves the cache within its TTL. With the object store stopped, uploads get a clear 503, lose
nothing and resume once it is back, while pages keep rendering (their URLs are signed locally)."""

import time

import pytest
from django.test import Client

from atelier.posts import services as post_services
from atelier.uploads.models import Upload
from tests.edge.conftest import start_object_store, use_object_store
from tests.media.sample_files import quadrant_bytes
from tests.posts.support import add_file, publish
from tests.uploads.conftest import create_location, head, patch, upload_id_of

pytestmark = [pytest.mark.end_to_end, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def public_post(make_user, edge_over, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    artist = make_user("lantern")
    draft = post_services.post_create_draft(author=artist)
    add_file(draft, quadrant_bytes(size=(800, 600)), capture=capture)
    return publish(draft, capture=capture, title="Lantern festival")


def test_anonymous_public_pages_come_from_the_micro_cache(public_post, edge_over):
    path = public_post.get_absolute_url()
    first, second = edge_over.get(path), edge_over.get(path)
    assert first.status == second.status == 200
    assert first.headers["x-edge-cache"] == "MISS"
    assert second.headers["x-edge-cache"] == "HIT"
    assert second.body == first.body
    assert b"Lantern festival" in second.body
    assert "set-cookie" not in second.headers
    assert second.headers["tdm-reservation"] == "1"  # the app's own headers are kept with the page
    for public in ("/", f"/@{public_post.author.handle}", "/feed/discover/"):
        edge_over.get(public)
        assert edge_over.get(public).headers["x-edge-cache"] == "HIT", public


def test_signed_in_people_forms_and_other_pages_never_touch_it(public_post, edge_over):
    path = public_post.get_absolute_url()
    edge_over.get(path)
    signed_in = edge_over.get(path, headers={"Cookie": "theme=x; sessionid=abc123"})
    assert signed_in.headers["x-edge-cache"] == "BYPASS"
    for _ in range(2):
        login = edge_over.get("/accounts/login/")
        assert login.headers["x-edge-cache"] == "BYPASS"
        assert "csrftoken=" in login.headers["set-cookie"]
    assert edge_over.get("/search/?q=lantern").headers["x-edge-cache"] == "BYPASS"
    assert edge_over.get("/healthz").headers["x-edge-cache"] == "BYPASS"


@pytest.fixture
def one_second_ttl(settings):
    settings.EDGE_PAGE_CACHE_SECONDS = 1  # rendered into the edge this test starts (the default is 5 s)


def test_an_unpublished_post_leaves_the_cache_within_its_ttl(one_second_ttl, public_post, edge_over):
    path = public_post.get_absolute_url()
    deadline = time.monotonic() + 10
    while edge_over.get(path).headers.get("x-edge-cache") != "HIT":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    post_services.post_unpublish(post=public_post, user=public_post.author)
    unpublished_at = time.monotonic()
    while edge_over.get(path).status == 200:
        assert time.monotonic() - unpublished_at < 3, "a cached copy outlived the TTL"
        time.sleep(0.05)
    assert edge_over.get(path).status == 404


def test_with_the_object_store_down_uploads_get_503_lose_nothing_and_resume(
    settings, make_user, tmp_path, isolated_media
):
    store = start_object_store(tmp_path / "store")
    try:
        use_object_store(settings, store, tmp_path / "media")
        artist = make_user("tidewater")
        client = Client()
        client.force_login(artist)
        data = quadrant_bytes(size=(600, 400))
        location = create_location(client, len(data))
        assert patch(client, location, 0, data[:1000]).status_code == 204

        store.stop()
        refused = patch(client, location, 1000, data[1000:])
        assert refused.status_code == 503
        assert refused["Retry-After"] == "30"
        assert "nothing was lost" in refused.content.decode()
        assert Upload.objects.get(pk=upload_id_of(location)).offset == 1000
        # Pages never ask the store: they keep rendering with their signed URLs.
        assert client.get(f"/@{artist.handle}").status_code == 200
        assert client.get("/").status_code == 200

        store.start()
        assert head(client, location)["Upload-Offset"] == "1000"
        resumed = patch(client, location, 1000, data[1000:])
        assert resumed.status_code == 204
        assert Upload.objects.get(pk=upload_id_of(location)).completed_at is not None
    finally:
        store.stop()
