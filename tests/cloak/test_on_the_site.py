"""The style cloak on the site: the composer's toggle, the worker step that swaps the public
renditions (originals untouched), progress for the author, un-cloaking, refusals, a worker killed
mid-cloak, and who may do what. The engine runs for real, with few steps (CLOAK_STEP_SCALE)."""

import io

import numpy as np
import pytest
from django.test import Client
from PIL import Image

# The cloak is optional (requirements/cloak.lock): on an instance without torch these tests have nothing to run.
pytest.importorskip("torch")

from atelier.media.models import MediaItem
from atelier.media.storages import originals_storage
from atelier.posts import services as post_services
from atelier.protection.cloak import engine, services
from atelier.protection.cloak.models import CloakPreference, CloakState, ItemCloak
from tests.media.sample_files import animated_gif, quadrant_bytes
from tests.posts.support import add_file, largest, open_public_image, publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media", "_few_steps")]


@pytest.fixture
def _few_steps(settings):
    settings.CLOAK_STEP_SCALE = 0.05  # a handful of steps: the real engine, in seconds


@pytest.fixture
def artist(make_user):
    return make_user("sable")


@pytest.fixture
def artist_client(artist):
    client = Client()
    client.force_login(artist)
    return client


def published_with(artist, capture, *files):
    draft = post_services.post_create_draft(author=artist)
    items = [add_file(draft, data, capture=capture) for data in files]
    return publish(draft, capture=capture, title="Salt marsh"), items


def turn_on(client, post, capture, strength="low"):
    with capture(execute=True):
        response = client.post(f"/posts/{post.pk}/cloak", {"enabled": "on", "strength": strength})
    assert response.status_code == 302
    return response


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def test_cloaking_swaps_the_public_renditions_and_turning_it_off_swaps_them_back(
    artist, artist_client, client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    original_bytes = quadrant_bytes("PNG", (320, 240))
    post, (item,) = published_with(artist, capture, original_bytes)
    before_names = dict(item.renditions)
    before = pixels(open_public_image(largest(item.renditions["sizes"])["name"]))
    turn_on(artist_client, post, capture)

    cloak = ItemCloak.objects.get(item=item)
    item.refresh_from_db()
    assert cloak.state == CloakState.DONE and cloak.strength == "low" and cloak.progress == 1.0
    assert cloak.max_change <= 4 and cloak.psnr > 35 and cloak.ssim > 0.95
    assert item.public_source_name == cloak.cloaked_name and item.public_source_name.startswith("cloaks/")
    assert item.renditions != before_names  # new files, under new names
    with originals_storage().open(item.original_name) as stored:
        assert stored.read() == original_bytes  # the original is never touched
    after = pixels(open_public_image(largest(item.renditions["sizes"])["name"]))
    changed = np.abs(after - before)
    assert changed.max() > 0 and changed.mean() < 3  # changed, and only slightly (WebP noise included)
    assert "Cloaked · PSNR" in artist_client.get(post.get_absolute_url()).content.decode()

    # Everyone else gets the cloaked files, and learns nothing about the cloak.
    page = client.get(post.get_absolute_url()).content.decode()
    assert item.renditions["sizes"][0]["name"].split("/")[-1] in page
    assert "Style cloak" not in page and "cloaks/" not in page
    assert client.get(f"/posts/{post.pk}/cloak/status").status_code == 302  # to the login page

    # Off again: renditions from the original, the cloaked file deleted.
    cloaked_file = item.public_source_name
    with capture(execute=True):
        artist_client.post(f"/posts/{post.pk}/cloak", {"strength": "low"})  # unchecked: off
    item.refresh_from_db()
    assert item.public_source_name == "" and not originals_storage().exists(cloaked_file)
    assert ItemCloak.objects.get(item=item).state == CloakState.REMOVED
    assert np.abs(pixels(open_public_image(largest(item.renditions["sizes"])["name"])) - before).max() <= 2


def test_gifs_and_tiny_images_are_refused_in_words_and_transparency_is_kept(
    artist, artist_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    picture = Image.new("RGBA", (160, 128), (200, 60, 40, 255))
    picture.paste((0, 0, 0, 0), (0, 0, 80, 128))  # the left half fully transparent
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    post, (gif, tiny, clear) = published_with(
        artist, capture, animated_gif(), quadrant_bytes("PNG", (48, 40)), buffer.getvalue()
    )
    turn_on(artist_client, post, capture)
    assert ItemCloak.objects.get(item=gif).state == CloakState.REFUSED
    assert "animated GIFs and videos" in ItemCloak.objects.get(item=gif).message
    tiny_cloak = ItemCloak.objects.get(item=tiny)
    assert tiny_cloak.state == CloakState.REFUSED and "too small to cloak" in tiny_cloak.message
    composer = artist_client.get(f"/posts/{post.pk}/edit").content.decode()
    assert "too small to cloak" in composer and "animated GIFs and videos" in composer
    cloak = ItemCloak.objects.get(item=clear)
    assert cloak.state == CloakState.DONE
    with originals_storage().open(cloak.cloaked_name) as stored, Image.open(stored) as cloaked:
        assert cloaked.mode == "RGBA"
        assert np.array_equal(np.asarray(cloaked.getchannel("A")), np.asarray(picture.getchannel("A")))


def test_a_worker_killed_mid_cloak_changes_nothing_and_the_job_runs_again(
    artist, artist_client, django_capture_on_commit_callbacks, monkeypatch
):
    """The engine really runs; at 40 % the worker process "dies" (SystemExit, as a SIGTERM'd worker
    would): nothing public changes, and the stalled job is handed out again and finishes."""
    capture = django_capture_on_commit_callbacks
    post, (item,) = published_with(artist, capture, quadrant_bytes("PNG", (200, 160)))
    before = dict(MediaItem.objects.get(pk=item.pk).renditions)
    real_cloak_image = engine.cloak_image

    def dies_midway(image, *, progress, **options):
        def report(fraction):
            progress(fraction)
            if fraction >= 0.4:
                raise SystemExit("worker killed")

        return real_cloak_image(image, progress=report, **options)

    monkeypatch.setattr(engine, "cloak_image", dies_midway)
    monkeypatch.setattr(services, "PROGRESS_EVERY_SECONDS", 0)
    with pytest.raises(SystemExit):
        turn_on(artist_client, post, capture)
    cloak = ItemCloak.objects.get(item=item)
    assert cloak.state == CloakState.RUNNING and 0 < cloak.progress < 1 and cloak.attempts == 1
    assert MediaItem.objects.get(pk=item.pk).renditions == before  # public images unchanged
    assert not originals_storage().exists(f"cloaks/{post.pk}")  # no cloaked file was kept

    monkeypatch.setattr(engine, "cloak_image", real_cloak_image)
    ItemCloak.objects.filter(item=item).update(started_at=cloak.started_at.replace(year=2000))
    with capture(execute=True):
        assert services.requeue_stalled() == 1
    cloak.refresh_from_db()
    assert cloak.state == CloakState.DONE and cloak.attempts == 2
    assert MediaItem.objects.get(pk=item.pk).renditions != before


def test_an_older_request_does_nothing(artist, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    post, (item,) = published_with(artist, capture, quadrant_bytes("PNG", (200, 160)))
    with capture(execute=False):
        services.post_set_cloak(post=post, user=artist, enabled=True, strength="low")
    services.cloak_sync_post(post_id=post.pk)  # queues version 1 (not run: no capture)
    services.item_recloak(item=item, user=artist)  # version 2 supersedes it
    assert services.media_item_cloak(item_id=item.pk, version=1) is False
    assert ItemCloak.objects.get(item=item).state == CloakState.QUEUED


def test_the_account_default_cloaks_new_posts(artist, artist_client, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    response = artist_client.post("/settings/cloak/", {"cloak_new_work": "on", "strength": "low"})
    assert response.status_code == 302 and CloakPreference.objects.get(user=artist).cloak_new_work
    post, (item,) = published_with(artist, capture, quadrant_bytes("PNG", (200, 160)))
    assert ItemCloak.objects.get(item=item).state == CloakState.DONE
    assert "Cloak this work" in artist_client.get(f"/posts/{post.pk}/edit").content.decode()


def test_only_the_author_may_cloak(artist, make_user, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    post, (item,) = published_with(artist, capture, quadrant_bytes("PNG", (200, 160)))
    other = Client()
    other.force_login(make_user("meddler"))
    assert other.post(f"/posts/{post.pk}/cloak", {"enabled": "on", "strength": "high"}).status_code == 404
    assert other.get(f"/posts/{post.pk}/cloak/status").status_code == 404
    assert other.post(f"/posts/{post.pk}/cloak/{item.pk}/again").status_code == 404
    assert not ItemCloak.objects.exists()


def test_a_bad_strength_is_refused_in_words(artist, artist_client, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    post, _ = published_with(artist, capture, quadrant_bytes("PNG", (200, 160)))
    response = artist_client.post(f"/posts/{post.pk}/cloak", {"enabled": "on", "strength": "max"}, follow=True)
    assert "Choose low, default or high" in response.content.decode()
    assert not ItemCloak.objects.exists()


def test_the_help_page_is_honest(client):
    page = client.get("/help/style-cloak/").content.decode()
    assert "a deterrent, not a guarantee" in page
    assert "Adversarial Perturbations Cannot Reliably Protect Artists From Generative AI" in page
