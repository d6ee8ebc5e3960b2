"""Files follow visibility: every rendition, cover, video and loop of a post that is not public is out
of public storage, so its URL answers 404 to visitors, followers, people who filed it in an album and
API clients, on the local folder and on S3; its author and moderators still see it, never cached by
a shared cache; a release puts the same URLs back."""

import io
import json
import urllib.error
import urllib.request

import c2pa
import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from atelier.albums import services as albums
from atelier.media.renditions import rendition_names
from atelier.media.storages import public_storage, withheld_storage
from atelier.posts import media_checks, services, visibility
from atelier.posts.events import post_became_public
from atelier.posts.files import post_file_names
from atelier.posts.models import Post, PostState
from atelier.social import services as social
from tests import s3_stand_in
from tests.detection.test_provenance import A1111, png_with_text
from tests.media.sample_files import animated_gif, make_clip, quadrant_bytes
from tests.posts.support import add_file, files_in_public_storage, files_withheld, publish, read_public, save_details

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]

BUCKET = "atelier-visibility"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def moderator(make_user):
    person = make_user("mira_moderates")
    person.user_permissions.add(Permission.objects.get(codename="review_case"))
    return person


@pytest.fixture
def viewers(draft, make_user):
    """A visitor, a follower and someone who bookmarked the post and filed it in a public album."""
    follower, collector = make_user("follower"), make_user("collector")
    social.follow_create(follower=follower, followee=draft.author)
    return {"visitor": Client(), "follower": signed_in(follower), "collector": signed_in(collector), "_c": collector}


def test_every_file_of_a_held_post_answers_404_to_everyone_but_its_author_and_moderators(
    draft, capture, viewers, moderator, author_client, tmp_path
):
    add_file(draft, quadrant_bytes("PNG", (640, 480)), capture=capture)
    add_file(draft, animated_gif(), capture=capture)
    add_file(draft, make_clip(tmp_path / "clip.mov", size=(320, 240), seconds=1.0).read_bytes(), capture=capture)
    post = publish(draft, capture=capture)
    assert post.state == PostState.PUBLIC
    collector = viewers.pop("_c")
    albums.bookmark_add(user=collector, post_id=post.pk)
    album = albums.album_create(owner=collector, title="Favourites", is_public=True)
    albums.album_add_post(album=album, user=collector, post_id=post.pk)
    names = post_file_names(post)
    kinds = {name.rsplit(".", 1)[-1] for name in names}
    assert {"webp", "mp4"} <= kinds and len(names) >= 15  # stills, covers, the loop, the video and its poster
    public_urls = {name: post.file_url(name) for name in names}
    api_urls = [size["url"] for size in Client().get(f"/api/v1/posts/{post.pk}").json()["thumbnail"]["sizes"]]
    for url in [*public_urls.values(), *api_urls]:
        assert Client().get(url).status_code == 200, url

    with capture(execute=True):
        visibility.hold(post_id=post.pk, reason="Held: a report.", actor=moderator)

    assert not set(names) & files_in_public_storage() and set(names) <= files_withheld()
    for who, client in viewers.items():
        for url in [*public_urls.values(), *api_urls]:
            assert client.get(url).status_code == 404, (who, url)
        assert client.get(post.get_absolute_url()).status_code == 404, who
    assert Client().get(f"/api/v1/posts/{post.pk}").status_code == 404
    assert Client().get(f"/@{collector.handle}/albums/{album.pk}/").content.decode().count(post.title) == 0

    post.refresh_from_db()
    page = author_client.get(post.get_absolute_url()).content.decode()
    withheld_urls = {name: post.file_url(name) for name in names}
    assert all(url.startswith(f"/posts/{post.pk}/files/") for url in withheld_urls.values())
    assert f"/posts/{post.pk}/files/" in page and f"/media/posts/{post.pk}/" not in page
    for name, url in withheld_urls.items():
        response = author_client.get(url)
        assert response.status_code == 200 and response["Cache-Control"] == "private, no-store", name
        assert b"".join(response.streaming_content) == read_public(name)
    for url in list(withheld_urls.values())[:4]:
        assert signed_in(moderator).get(url).status_code == 200
        for who, client in viewers.items():
            assert client.get(url).status_code == 404, who

    with capture(execute=True):
        media_checks.post_checks_cleared_by_moderator(post_id=post.pk)
        visibility.release(post_id=post.pk, actor=moderator, note="Looked again.")
    assert set(names) <= files_in_public_storage() and not set(names) & files_withheld()
    for url in public_urls.values():
        assert viewers["visitor"].get(url).status_code == 200, url


def test_a_drafts_files_are_never_public_and_only_named_files_are_served(draft, capture, author_client, viewers):
    item = add_file(draft, quadrant_bytes("PNG", (400, 300)), capture=capture)
    names = post_file_names(draft)
    assert names and not files_in_public_storage() and set(names) <= files_withheld()
    assert Client().get(public_storage().url(names[0])).status_code == 404
    # Only the post's own rendition names: never an original, another post's file, or a path trick.
    for name in (item.original_name, "../originals/" + item.original_name, f"posts/{draft.pk + 1}/x.webp"):
        assert author_client.get(f"/posts/{draft.pk}/files/{name}").status_code == 404, name
    assert viewers["visitor"].get(f"/posts/{draft.pk}/files/{names[0]}").status_code == 404


def test_unpublishing_withdraws_the_files_and_republishing_restores_them(draft, capture, author_client):
    add_file(draft, quadrant_bytes("PNG", (400, 300)), capture=capture)
    post = publish(draft, capture=capture)
    names = post_file_names(post)
    url = post.file_url(names[0])
    assert Client().get(url).status_code == 200
    with capture(execute=True):
        services.post_unpublish(post=post, user=post.author)
    assert Client().get(url).status_code == 404
    with capture(execute=True):
        services.post_publish(post=post, user=post.author)
    assert Client().get(url).status_code == 200


def test_public_renditions_are_cached_no_longer_than_their_url_is_valid(draft, capture, settings):
    add_file(draft, quadrant_bytes("PNG", (400, 300)), capture=capture)
    post = publish(draft, capture=capture)
    response = Client().get(post.file_url(post_file_names(post)[0]))
    cache_control = response["Cache-Control"]
    assert "immutable" not in cache_control and "31536000" not in cache_control
    max_age = int(cache_control.split("max-age=")[1])
    assert 0 < max_age <= settings.MEDIA_SHARED_CACHE_SECONDS


def _source_type(data: bytes, mime: str) -> str | None:
    """The digitalSourceType of the c2pa.created action, read back with c2pa.Reader; None: no manifest."""
    try:
        reader = c2pa.Reader(mime, io.BytesIO(data))
    except Exception:  # c2pa reports a file without a manifest as an error
        return None
    store = json.loads(reader.json())
    manifest = store["manifests"][store["active_manifest"]]
    for assertion in manifest["assertions"]:
        if assertion["label"].startswith("c2pa.actions"):
            for action in assertion["data"]["actions"]:
                if action["action"] == "c2pa.created":
                    return action["digitalSourceType"].rsplit("/", 1)[-1]
    return None


def _signed_sources(post) -> set:
    sources = set()
    for name in post_file_names(post):
        mime = {"webp": "image/webp", "avif": "image/avif", "mp4": "video/mp4"}[name.rsplit(".", 1)[-1]]
        sources.add(_source_type(read_public(name), mime))
    return sources


def test_content_credentials_state_what_the_evidence_says(author, capture, tmp_path):
    human = services.post_create_draft(author=author)
    add_file(human, quadrant_bytes("PNG", (640, 480)), capture=capture)
    add_file(human, animated_gif(), capture=capture)
    human = publish(human, capture=capture)
    assert _signed_sources(human) == {"digitalCreation"}

    photo = services.post_create_draft(author=author)
    save_details(photo, title="Harbour, photographed", medium="photography")  # known before the upload
    add_file(photo, quadrant_bytes("JPEG", (640, 480)), capture=capture)
    photo = publish(photo, capture=capture, medium="photography")
    assert _signed_sources(photo) == {"digitalCapture"}

    generated = services.post_create_draft(author=author)
    add_file(generated, png_with_text(parameters=A1111), capture=capture)
    generated = publish(generated, capture=capture, medium="digital_2d")
    assert generated.state == PostState.HELD
    item_sources = {
        _source_type(read_public(name), "image/" + name.rsplit(".", 1)[-1])
        for name in rendition_names(generated.items.get().renditions)
    }
    assert item_sources == {"trainedAlgorithmicMedia"}
    # Its covers were drawn before the verdict: they make no claim at all, never a human one.
    assert _signed_sources(generated) <= {"trainedAlgorithmicMedia", None}

    unchecked = services.post_create_draft(author=author)
    item = add_file(unchecked, quadrant_bytes("PNG", (400, 300)), capture=capture, process=False)
    from atelier.posts.items import media_item_process

    with capture(execute=True):
        media_item_process(item_id=item.pk, version=item.version)  # rendered; the detector has not run
    unchecked.refresh_from_db()
    assert _signed_sources(unchecked) == {None}  # not signed as human work while unchecked


# --- S3: the objects leave the public prefix (moto's S3 server speaks the real protocol)


@pytest.fixture(scope="module")
def s3_endpoint():
    with s3_stand_in.served(BUCKET) as endpoint:
        yield endpoint


def _anonymous_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the local stand-in
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_on_s3_a_held_posts_objects_leave_the_public_prefix_and_come_back(
    s3_endpoint, settings, tmp_path, draft, capture, moderator
):
    s3_stand_in.use_s3_storages(
        settings, endpoint=s3_endpoint, bucket=BUCKET, media_root=tmp_path, AWS_PUBLIC_ACL="public-read"
    )
    add_file(draft, quadrant_bytes("PNG", (400, 300)), capture=capture)
    names = post_file_names(draft)
    s3 = s3_stand_in.client(s3_endpoint)

    # The objects themselves, as the edge (or anyone who knows the bucket) would fetch them; the site's
    # own URLs point at the edge, which serves the public prefix only.
    def object_url(name: str) -> str:
        return f"{s3_endpoint}/{BUCKET}/public/{name}"

    assert all(_anonymous_get(object_url(name)) != 200 for name in names)  # a draft: never public
    post = publish(draft, capture=capture)
    urls = [object_url(name) for name in post_file_names(post)]
    assert all(public_storage().url(name).startswith(f"{settings.MEDIA_URL}") for name in post_file_names(post))
    assert {_anonymous_get(url) for url in urls} == {200}

    with capture(execute=True):
        visibility.hold(post_id=post.pk, reason="Held: a report.", actor=moderator)
    assert {_anonymous_get(url) for url in urls} <= {403, 404}
    for name in post_file_names(post):
        assert not public_storage().exists(name) and withheld_storage().exists(name)
        withheld_url = f"{s3_endpoint}/{BUCKET}/withheld/{name}"
        assert _anonymous_get(withheld_url) == 403  # a private object
        acl = s3.get_object_acl(Bucket=BUCKET, Key=f"withheld/{name}")
        assert not any(grant["Grantee"].get("URI", "").endswith("AllUsers") for grant in acl["Grants"])

    with capture(execute=True):
        media_checks.post_checks_cleared_by_moderator(post_id=post.pk)
        visibility.release(post_id=post.pk, actor=moderator)
    assert {_anonymous_get(url) for url in urls} == {200}


def test_on_s3_each_file_is_copied_once_as_the_post_becomes_public_and_not_again_after(
    s3_endpoint, settings, tmp_path, draft, capture
):
    s3_stand_in.use_s3_storages(settings, endpoint=s3_endpoint, bucket=BUCKET, media_root=tmp_path)
    add_file(draft, quadrant_bytes("PNG", (400, 300)), capture=capture)
    copied = []
    for storage in (public_storage(), withheld_storage()):
        storage.connection.meta.client.meta.events.register(
            "before-parameter-build.s3.CopyObject", lambda params, **_: copied.append(params["Key"])
        )
    with capture(execute=False):  # the publishing transaction alone: what runs after its commit is held back
        save_details(draft, title="Harbour at dawn")
        services.post_publish(post=draft, user=draft.author)
    draft.refresh_from_db()
    names = post_file_names(draft)
    assert draft.state == PostState.PUBLIC and names
    assert sorted(key.split("public/", 1)[1] for key in copied) == sorted(names)  # each once, into public
    assert all(public_storage().exists(name) and not withheld_storage().exists(name) for name in names)

    copied.clear()
    with capture(execute=False):
        post_became_public.send(sender=Post, post_id=draft.pk, author_id=draft.author_id)
    assert copied == []  # nothing is left to move: no copy that fails per file
