"""Under MEDIA_DETECTION_ONE_PASS the task that makes a post's cover item ready draws its thumbnail and
cover too, from the decode it already holds (posts.covers_inline), instead of queuing them behind the
flood (issue 19). The two-pool path still queues them.

The tests marked `transaction=True` commit for real, so every on-commit step (the post going public,
its files placed, `post_became_public`) runs where production runs it: between the item's commit
and the covers' drawing. What they do "mid-task" they do from that event, which the posts app sends.
"""

import logging
import tempfile
from pathlib import Path

import pytest
from django.db import transaction

from atelier.media import processing
from atelier.media.models import MediaItem
from atelier.media.states import MediaState
from atelier.media.storages import originals_storage
from atelier.posts import services
from atelier.posts.covers import cover_names
from atelier.posts.covers_inline import CoversDrawnHere
from atelier.posts.events import post_became_public
from atelier.posts.items import media_item_process
from atelier.posts.models import Post, PostState
from atelier.protection.detection.one_pass import media_item_render_and_detect
from tests.media.sample_files import QUADRANT_COLOURS, animated_gif, close_to, encode, quadrant_bytes
from tests.posts.support import add_file, files_in_public_storage, open_public_image, public_files, save_details
from tests.posts.test_one_pass import textured

ONE_PASS_TASK = "atelier.protection.detection.tasks.render_and_detect_media_item"
COVERS_TASK = "atelier.posts.tasks.render_post_covers"


def published_upload(author, *files: bytes) -> Post | None:
    """As the faults bench's flood and the composer do: the files added and the post published in one
    commit, which queues each item's one task; they run (eagerly) once it commits."""
    with transaction.atomic(), tempfile.TemporaryDirectory() as folder:
        post = services.post_create_draft(author=author)
        for index, data in enumerate(files):
            path = Path(folder, f"upload-{index}")
            path.write_bytes(data)
            services.media_add_file(post=post, user=author, path=path)
        save_details(post, title="Harbour at dawn")
        services.post_publish(post=post, user=author)
    return Post.objects.filter(pk=post.pk).first()  # None: deleted meanwhile


@pytest.fixture
def on_public():
    """Run something when a post becomes public: after the item's commit, before its covers."""
    receivers = []

    def connect(action):
        def receiver(sender, post_id, **kwargs):
            action(Post.objects.get(pk=post_id) if Post.objects.filter(pk=post_id).exists() else None)

        post_became_public.connect(receiver, weak=False)
        receivers.append(receiver)

    yield connect
    for receiver in receivers:
        post_became_public.disconnect(receiver)


def media_work(tasks_run: list[str]) -> list[str]:
    """The tasks of media and covers (on PostgreSQL + Redis the feeds' fan-out runs too)."""
    return [name for name in tasks_run if name.startswith(("atelier.posts.", "atelier.protection."))]


def built(post: Post) -> bool:
    return post.covers_built_version == post.covers_version and {"thumbnail", "cover"} <= set(post.covers)


@pytest.mark.django_db(transaction=True)
def test_a_png_gets_its_covers_in_its_own_task_from_its_one_decode(settings, author, decodes, tasks_run):
    settings.MEDIA_DETECTION_ONE_PASS = True
    post = published_upload(author, encode(textured(), "PNG"))
    item = post.items.get()
    assert post.state == PostState.PUBLIC and built(post)
    assert post.covers["thumbnail"]["item"] == post.covers["cover"]["item"] == item.pk
    assert media_work(tasks_run) == [ONE_PASS_TASK]  # no covers task, not even a stale one from publishing
    # Validation once before the commit; in the task the art-theft fingerprint (its own reader), and
    # one decode shared by the AI check, the renditions and both covers (three with covers apart).
    assert decodes.count("zip") == 3
    # Drawn after the check: signed with the source the evidence supports, and public at once.
    assert post.covers["cover"]["source"] == item.renditions["source"] is not None
    assert set(cover_names(post.covers)) <= files_in_public_storage()
    square = open_public_image(max(post.covers["thumbnail"]["sizes"], key=lambda size: size["w"])["name"])
    assert square.size == (640, 640)


@pytest.mark.django_db(transaction=True)
def test_a_jpeg_and_an_animation_draw_their_covers_in_the_same_task(settings, author, tasks_run):
    settings.MEDIA_DETECTION_ONE_PASS = True
    photo = published_upload(author, quadrant_bytes("JPEG", (2000, 1500), quality=90))
    loop = published_upload(author, animated_gif())
    assert media_work(tasks_run) == [ONE_PASS_TASK, ONE_PASS_TASK]
    assert built(photo) and built(loop)
    assert photo.covers["cover"]["sizes"][0]["w"] == 1440  # decoded at the covers' size, as before
    cover = open_public_image(max(photo.covers["thumbnail"]["sizes"], key=lambda size: size["w"])["name"])
    assert close_to(cover.getpixel((10, 10)), QUADRANT_COLOURS["top-left"], tolerance=20)
    assert {"webp", "mp4"} <= set(loop.covers["cover"]["animated"])


@pytest.mark.django_db(transaction=True)
def test_a_crop_chosen_before_the_task_draws_wins_over_the_version_it_asked_for(settings, author, on_public, tasks_run):
    settings.MEDIA_DETECTION_ONE_PASS = True
    crop = {"x": 0.5, "y": 0.5, "width": 0.375, "height": 0.5}

    def choose_crop(post):
        from atelier.media.crops import CropBox

        services.post_set_crop(post=post, user=author, kind="thumbnail", item=post.items.get(), crop=CropBox(**crop))

    on_public(choose_crop)
    post = published_upload(author, quadrant_bytes("PNG", (800, 600)))
    # The author's version was queued and drawn; the task's older one found itself stale.
    assert media_work(tasks_run) == [ONE_PASS_TASK, COVERS_TASK]
    assert built(post) and post.covers["thumbnail"]["crop"] == crop
    thumbnail = open_public_image(post.covers["thumbnail"]["sizes"][0]["name"])
    assert close_to(thumbnail.getpixel((5, 5)), QUADRANT_COLOURS["bottom-right"])
    assert public_files() == files_in_public_storage()  # nothing of the stale drawing left behind


@pytest.mark.django_db(transaction=True)
def test_a_post_deleted_before_its_covers_are_drawn_leaves_nothing(settings, author, on_public):
    settings.MEDIA_DETECTION_ONE_PASS = True
    on_public(lambda post: services.post_delete(post=post, user=author))
    assert published_upload(author, encode(textured(), "PNG")) is None
    assert not Post.objects.exists() and not MediaItem.objects.exists()
    assert public_files() == set()


@pytest.mark.django_db(transaction=True)
def test_an_original_gone_bad_fails_the_covers_clearly_and_nothing_else(settings, author, on_public, caplog):
    """A JPEG's covers read the original again: broken by then (a disk fault), they are left out and
    said so in the log; the item, its renditions and the post's public state stand."""
    settings.MEDIA_DETECTION_ONE_PASS = True
    on_public(lambda post: Path(originals_storage().path(post.items.get().original_name)).write_bytes(b"junk"))
    with caplog.at_level(logging.ERROR, logger="atelier.posts.covers"):
        post = published_upload(author, quadrant_bytes("JPEG", (1200, 900), quality=90))
    item = post.items.get()
    assert item.state == MediaState.READY and post.state == PostState.PUBLIC
    assert post.covers == {} and post.covers_built_version == post.covers_version
    assert "Could not render the thumbnail of post" in caplog.text
    assert all(open_public_image(size["name"]) for size in item.sizes)


@pytest.mark.django_db
def test_a_corrupt_original_fails_its_item_as_on_two_pools_and_draws_no_covers(settings, author, capture, tasks_run):
    reasons = {}
    for one_pass in (False, True):
        settings.MEDIA_DETECTION_ONE_PASS = one_pass
        post = services.post_create_draft(author=author)
        item = add_file(post, quadrant_bytes("PNG", (800, 600)), capture=capture, process=False)
        Path(originals_storage().path(item.original_name)).write_bytes(b"not an image any more")
        with capture(execute=True):
            if one_pass:
                media_item_render_and_detect(item_id=item.pk, version=item.version)
            else:
                media_item_process(item_id=item.pk, version=item.version)
        item.refresh_from_db()
        post.refresh_from_db()
        assert item.state == MediaState.FAILED and post.covers == {}
        reasons[one_pass] = item.failure_reason
    assert reasons[True] == reasons[False]
    assert COVERS_TASK not in tasks_run


@pytest.mark.django_db
def test_a_second_delivery_after_a_task_lost_between_its_commits_draws_the_covers(settings, draft, capture, tasks_run):
    """Tasks ack late: a worker killed after the item's commit, before the covers', is handed out
    again. The item is ready by then; the unbuilt version it asked for is drawn on that delivery."""
    settings.MEDIA_DETECTION_ONE_PASS = True
    item = add_file(draft, encode(textured((600, 400)), "PNG"), capture=capture, process=False)
    with capture(execute=True):  # what the lost task did before it died: the item ready, covers asked for
        assert processing.media_item_process(item_id=item.pk, version=item.version, owner=CoversDrawnHere())
    draft.refresh_from_db()
    assert draft.covers_version == 1 and not built(draft)
    with capture(execute=True):  # the second delivery
        assert media_item_render_and_detect(item_id=item.pk, version=item.version) == (False, True)
    draft.refresh_from_db()
    assert built(draft) and draft.covers_version == 1 and COVERS_TASK not in tasks_run


@pytest.mark.django_db
def test_two_items_the_second_finishing_first_end_with_covers_from_the_first(settings, author, capture, tasks_run):
    settings.MEDIA_DETECTION_ONE_PASS = True
    post = services.post_create_draft(author=author)
    first = add_file(post, quadrant_bytes("PNG", (800, 600)), capture=capture, process=False)
    second = add_file(post, encode(textured((600, 600)), "PNG"), capture=capture, process=False)
    save_details(post, title="Two")
    services.post_publish(post=post, user=author)
    post.refresh_from_db()
    assert post.covers_version == 0  # nothing to cut covers from yet: no drawing asked for, none queued
    with capture(execute=True):
        media_item_render_and_detect(item_id=second.pk, version=second.version)
    post.refresh_from_db()
    assert post.covers["cover"]["item"] == second.pk  # the only ready item so far
    with capture(execute=True):
        media_item_render_and_detect(item_id=first.pk, version=first.version)
    post.refresh_from_db()
    assert post.state == PostState.PUBLIC and built(post)
    assert post.covers["thumbnail"]["item"] == post.covers["cover"]["item"] == first.pk
    assert COVERS_TASK not in tasks_run
    assert public_files() == files_in_public_storage()  # the second item's covers were replaced, not left


@pytest.mark.django_db
def test_two_pools_still_queue_the_covers_as_their_own_task(settings, draft, capture, tasks_run):
    settings.MEDIA_DETECTION_ONE_PASS = False
    item = add_file(draft, encode(textured(), "PNG"), capture=capture)
    draft.refresh_from_db()
    assert "atelier.posts.tasks.process_media_item" in tasks_run and COVERS_TASK in tasks_run
    assert ONE_PASS_TASK not in tasks_run
    assert built(draft) and draft.covers["cover"]["item"] == item.pk
