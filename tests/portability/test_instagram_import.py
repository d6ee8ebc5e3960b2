"""An Instagram archive through the pages: preview, choices, the background import, a re-run."""

import datetime as dt
import io

from django.core import mail
from django.urls import reverse
from PIL import Image

from atelier.media.models import MediaItem
from atelier.media.states import MediaState
from atelier.media.storages import originals_storage
from atelier.portability.models import ArchiveImport, ImportState, WorkState
from atelier.portability.running import archive_import_run
from atelier.portability.scanning import fix_mojibake
from atelier.posts.models import Post
from bench.detection_fixtures import A1111
from tests.detection.test_provenance import png_with_text
from tests.media.sample_files import stored_names
from tests.portability.archive_files import IgPost, clip_bytes, instagram_mojibake, picture, write_instagram
from tests.portability.conftest import as_upload


def upload(client, archive, source="instagram"):
    return client.post(reverse("portability:import_upload"), {"source": source, "archive": archive})


def start(client, run, **data):
    return client.post(reverse("portability:import_start", args=[run.pk]), data)


def uploaded_run(client, posts, **options) -> ArchiveImport:
    response = upload(client, as_upload(write_instagram, posts, **options))
    assert response.status_code == 302, response.content.decode()[:2000]
    return ArchiveImport.objects.latest("pk")


def test_mojibake_is_repaired_and_clean_text_is_left_alone():
    for text in ("Première esquisse ☕", "日本語のキャプション", "emoji 🎨 and ß"):
        assert fix_mojibake(instagram_mojibake(text)) == text
        assert fix_mojibake(text) == text


def test_preview_counts_by_year_and_type_thumbnails_and_skipped_messages(signed_in_client, six_posts):
    stories = [IgPost([("media/stories/201902/s.jpg", picture(mark=9))], "story", 1_549_000_000)]
    run = uploaded_run(signed_in_client, six_posts, stories=stories, message_threads=3)
    assert run.state == ImportState.SCANNED
    page = signed_in_client.get(reverse("portability:import", args=[run.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<th scope="row">2019</th><td>1</td><td>1</td><td>0</td><td>1</td><td>0</td><td>3</td>' in html
    assert "3 message threads" in html
    assert "Première esquisse ☕" in html  # the mojibake is repaired before anything is shown
    assert "Also import my stories" in html
    first = run.works.get(position=0)
    thumbnail = signed_in_client.get(reverse("portability:import_thumbnail", args=[run.pk, first.pk]))
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    assert thumbnail.content[:2] == b"\xff\xd8"
    # Nothing was imported yet; only the archive itself is kept, privately.
    assert Post.objects.count() == 0
    assert stored_names(originals_storage(), "imports") == {run.archive_name}


def test_someone_elses_import_is_not_found(signed_in_client, stranger_client, six_posts):
    run = uploaded_run(signed_in_client, six_posts)
    work = run.works.first()
    for url in (
        reverse("portability:import", args=[run.pk]),
        reverse("portability:import_progress", args=[run.pk]),
        reverse("portability:import_thumbnail", args=[run.pk, work.pk]),
    ):
        assert stranger_client.get(url).status_code == 404
    assert stranger_client.post(reverse("portability:import_start", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.state == ImportState.SCANNED


def test_import_keeps_dates_turns_hashtags_into_tags_and_respects_unticked(
    signed_in_client, user, six_posts, run_on_commit
):
    run = uploaded_run(signed_in_client, six_posts)
    works = list(run.works.order_by("position"))
    with run_on_commit():
        # The page's script sends the unticked ones as one list.
        response = start(signed_in_client, run, unticked=f"{works[3].pk},{works[4].pk}")
        assert response.status_code == 302
        run.refresh_from_db()
        assert run.state == ImportState.IMPORTING and run.total == 4
        fragment = signed_in_client.get(reverse("portability:import_progress", args=[run.pk])).content.decode()
        assert 'hx-trigger="every 2s"' in fragment and "0 of 4" in fragment
    run.refresh_from_db()
    assert (run.state, run.imported, run.failed, run.processed) == (ImportState.DONE, 4, 0, 4)
    posts = {post.title: post for post in Post.objects.filter(author=user)}
    assert set(posts) == {
        "Première esquisse ☕",
        "Autumn study",
        "Carousel of the month",
        "Instagram post, 6 February 2020",
    }
    first = posts["Première esquisse ☕"]
    assert first.published_at == dt.datetime.fromtimestamp(1_528_000_000, tz=dt.UTC)
    assert sorted(first.tags.values_list("name", flat=True)) == ["ink", "sketch"]
    assert first.description == "Première esquisse ☕ #sketch #ink"
    carousel = posts["Carousel of the month"]
    assert [item.original_format for item in carousel.items.all()] == ["JPEG", "HEIF"]
    assert "48.85" not in carousel.description  # location dropped unless chosen
    assert posts["Autumn study"].items.get().original_format == "WEBP"
    # Same pipeline as an upload: renditions made, every item ready, public at the old date.
    assert all(item.state == MediaState.READY for item in MediaItem.objects.filter(post__author=user))
    assert set(Post.objects.public().filter(author=user).values_list("pk", flat=True)) == {p.pk for p in posts.values()}
    skipped = run.works.filter(state=WorkState.SKIPPED)
    assert {work.caption for work in skipped} == {"Untick me", "Untick me too"}
    # The archive is gone, the owner got an email, the finished page shows no polling.
    assert stored_names(originals_storage(), "imports") == set()
    assert mail.outbox[-1].to == [user.email] and "4 posts imported" in mail.outbox[-1].body
    page = signed_in_client.get(reverse("portability:import", args=[run.pk])).content.decode()
    assert "every 2s" not in page and "4 imported" in page


def test_plain_form_without_script_sends_the_ticked_boxes(signed_in_client, user, six_posts, run_on_commit):
    run = uploaded_run(signed_in_client, six_posts[:3])
    ticked = list(run.works.order_by("position").values_list("pk", flat=True))[:2]
    with run_on_commit():
        start(signed_in_client, run, work=[str(pk) for pk in ticked], include_location="on")
    assert Post.objects.filter(author=user).count() == 2
    run.refresh_from_db()
    assert run.include_location and run.total == 2


def test_location_and_stories_when_chosen(signed_in_client, user, six_posts, run_on_commit):
    stories = [IgPost([("media/stories/201902/s.jpg", picture(mark=9))], "my story", 1_549_000_000)]
    run = uploaded_run(signed_in_client, six_posts[2:3], stories=stories)
    with run_on_commit():
        start(signed_in_client, run, unticked="", include_location="on", include_stories="on")
    carousel = Post.objects.get(author=user, title="Carousel of the month")
    assert carousel.description.endswith("Location: 48.85660, 2.35220")
    assert Post.objects.filter(author=user, title="my story").exists()


def test_stories_are_skipped_unless_chosen(signed_in_client, user, six_posts, run_on_commit):
    stories = [IgPost([("media/stories/201902/s.jpg", picture(mark=9))], "my story", 1_549_000_000)]
    run = uploaded_run(signed_in_client, six_posts[:1], stories=stories)
    with run_on_commit():
        start(signed_in_client, run, unticked="")
    assert list(Post.objects.filter(author=user).values_list("title", flat=True)) == ["Première esquisse ☕"]
    assert run.works.get(kind="story").state == WorkState.SKIPPED


def test_videos_and_a_rerun_skips_what_was_imported(signed_in_client, user, run_on_commit):
    posts = [
        IgPost([("media/posts/202104/clip.mp4", clip_bytes())], "A timelapse #process", 1_617_000_000),
        IgPost([("media/posts/202105/g.jpg", picture(mark=8))], "Plain", 1_620_000_000),
    ]
    run = uploaded_run(signed_in_client, posts)
    with run_on_commit():
        start(signed_in_client, run, unticked="")
    video = Post.objects.get(author=user, title="A timelapse")
    assert video.items.get().kind == "video"
    assert video.items.get().state == MediaState.READY
    # The same archive again: the preview already says so, and starting it imports nothing new.
    again = uploaded_run(signed_in_client, posts)
    assert set(again.works.values_list("state", "message")) == {(WorkState.SKIPPED, "Already imported.")}
    with run_on_commit():
        start(signed_in_client, again, unticked="")
    again.refresh_from_db()
    assert again.state == ImportState.DONE and again.imported == 0
    assert Post.objects.filter(author=user).count() == 2


def test_an_import_resumes_in_slices(signed_in_client, user, six_posts, settings, run_on_commit):
    """A slice that runs out of time returns; the task queues the next, which starts where it stopped."""
    settings.PORTABILITY_SLICE_SECONDS = 10
    run = uploaded_run(signed_in_client, six_posts)
    start(signed_in_client, run, unticked="")  # queued, not run (no commit here)
    ticks = iter(range(0, 1000, 6))  # each work "takes" 6 s of an injected clock
    with run_on_commit():
        finished = archive_import_run(import_id=run.pk, clock=lambda: next(ticks))
    run.refresh_from_db()
    assert not finished and run.processed == 2 and run.state == ImportState.IMPORTING
    with run_on_commit():
        assert archive_import_run(import_id=run.pk)
    run.refresh_from_db()
    assert run.state == ImportState.DONE and run.processed == 6 and Post.objects.filter(author=user).count() == 6


def test_discard_removes_the_stored_archive(signed_in_client, six_posts, run_on_commit):
    run = uploaded_run(signed_in_client, six_posts[:1])
    with run_on_commit():
        response = signed_in_client.post(reverse("portability:import_discard", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == ImportState.DISCARDED
    assert stored_names(originals_storage(), "imports") == set()


def test_thumbnail_of_a_decoded_picture_is_small(signed_in_client, six_posts):
    big = [IgPost([("media/posts/201806/big.jpg", picture(size=(2400, 1600)))], "big", 1_528_000_000)]
    run = uploaded_run(signed_in_client, big)
    response = signed_in_client.get(reverse("portability:import_thumbnail", args=[run.pk, run.works.get().pk]))
    with Image.open(io.BytesIO(response.content)) as image:
        assert max(image.size) <= 240


def test_an_imported_ai_image_is_held_like_an_upload(signed_in_client, user, run_on_commit):
    """Same checks as an upload: an Automatic1111 PNG in an old archive is held, the rest goes public."""
    posts = [
        IgPost([("media/posts/202301/clean.jpg", picture(mark=1))], "Clean", 1_673_000_000),
        IgPost([("media/posts/202302/prompted.png", png_with_text(parameters=A1111))], "Prompted", 1_675_000_000),
    ]
    run = uploaded_run(signed_in_client, posts)
    with run_on_commit():
        start(signed_in_client, run, unticked="")
    held = Post.objects.get(author=user, title="Prompted")
    assert held.is_held and "Automatic1111" in held.held_reason
    public = set(Post.objects.public().values_list("title", flat=True))
    assert public == {"Clean"}
