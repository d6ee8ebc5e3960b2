"""Bad archives: each refused with a clear message, for the archive or per work, the rest imported,
nothing half-written, the quota kept."""

import io
import json
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from atelier.media.models import MediaItem
from atelier.media.storages import originals_storage
from atelier.portability.archives import ArchiveRefused, MemberRefused, SafeZip, clean_member_name
from atelier.portability.models import ArchiveImport, ImportState, WorkState
from atelier.posts.models import Post
from tests.media.sample_files import stored_names
from tests.portability.archive_files import (
    BROKEN_HEIC,
    IgPost,
    Tweet,
    declared_huge,
    picture,
    symlink_member,
    write_instagram,
    write_x,
    zip_bomb,
)
from tests.portability.conftest import as_upload, zip_upload

GOOD = IgPost([("media/posts/201901/good.jpg", picture(mark=1))], "The good one", 1_546_400_000)


def upload(client, archive, source="instagram"):
    return client.post(reverse("portability:import_upload"), {"source": source, "archive": archive})


def refused(client, archive, source="instagram") -> str:
    """Upload an archive that must be refused as a whole: 400, nothing stored, no import row."""
    response = upload(client, archive, source)
    assert response.status_code == 400
    assert ArchiveImport.objects.count() == 0
    assert stored_names(originals_storage(), "imports") == set()
    return response.content.decode()


def import_all(client, archive, run_on_commit) -> ArchiveImport:
    response = upload(client, archive)
    assert response.status_code == 302, response.content.decode()[:3000]
    run = ArchiveImport.objects.latest("pk")
    with run_on_commit():
        client.post(reverse("portability:import_start", args=[run.pk]), {"unticked": ""})
    run.refresh_from_db()
    assert run.state == ImportState.DONE
    return run


def messages_by_caption(run) -> dict[str, tuple[str, str]]:
    return {work.caption: (work.state, work.message) for work in run.works.all()}


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("media/posts/a.jpg", "media/posts/a.jpg"),
        ("./media//a.jpg", "media/a.jpg"),
        ("../../x", None),
        ("media/../../x", None),
        ("/etc/passwd", None),
        ("C:\\Windows\\x", None),
        ("..\\..\\x", None),
        ("", None),
    ],
)
def test_member_names_outside_the_archive_are_refused(name, clean):
    assert clean_member_name(name) == clean


def test_a_zip_bomb_is_refused_before_anything_is_read(signed_in_client):
    html = refused(signed_in_client, as_upload(zip_bomb, megabytes=64))
    assert "ZIP bomb" in html


def test_a_10_gb_declared_member_is_refused(signed_in_client, tmp_path, settings):
    html = refused(signed_in_client, as_upload(declared_huge))
    assert "would unpack to 10.0" in html
    # And on its own, under a total limit that lets it through, the member is refused by size.
    settings.PORTABILITY_ZIP_MAX_RATIO = 10**9
    path = tmp_path / "huge.zip"
    declared_huge(path, declared=3 * 1024**3)
    with SafeZip(path) as archive, pytest.raises(MemberRefused, match="the limit is"):
        archive.read_bytes("media/posts/201901/huge.jpg", max_bytes=50 * 1024 * 1024)


def test_not_a_zip_and_the_wrong_kind_are_refused(signed_in_client):
    assert "not a ZIP archive" in refused(signed_in_client, SimpleUploadedFile("a.zip", picture()))
    x_archive = as_upload(write_x, [Tweet("1", "hi", [("a.jpg", picture())])])
    html = refused(signed_in_client, x_archive, source="instagram")
    assert "not an Instagram archive" in html and "looks like an X (Twitter) archive" in html
    html = refused(signed_in_client, zip_upload({"notes.txt": b"hello"}), source="x")
    assert "not an X (Twitter) archive" in html
    html_export = zip_upload({"your_instagram_activity/content/posts_1.html": b"<html></html>"})
    assert "JSON format" in refused(signed_in_client, html_export)
    assert "no photos or videos" in refused(signed_in_client, as_upload(write_instagram, []))


def test_an_archive_over_the_size_limit_is_refused(signed_in_client, settings):
    settings.PORTABILITY_ARCHIVE_MAX_BYTES = 1000
    assert "the limit is 1000" in refused(signed_in_client, as_upload(write_instagram, [GOOD]))


def test_damaged_json_refuses_the_archive(signed_in_client):
    archive = zip_upload({"your_instagram_activity/content/posts_1.json": b'[{"media": ['})
    response = upload(signed_in_client, archive)
    assert response.status_code == 400 and ArchiveImport.objects.count() == 0


def test_traversal_and_symlink_members_are_refused_per_work(signed_in_client, user, run_on_commit, tmp_path):
    escaped = IgPost([("../../escaped.jpg", picture(mark=2))], "Escaping", 1_546_500_000)
    linked = IgPost([("media/posts/201901/link.jpg", None)], "Linked", 1_546_600_000)
    archive = as_upload(
        write_instagram,
        [GOOD, escaped, linked],
        extra_members=[symlink_member("media/posts/201901/link.jpg", "/etc/passwd")],
    )
    run = import_all(signed_in_client, archive, run_on_commit)
    found = messages_by_caption(run)
    assert found["The good one"][0] == WorkState.IMPORTED
    assert found["Escaping"] == (
        WorkState.FAILED,
        "File 1 (../../escaped.jpg): ../../escaped.jpg points outside the archive.",
    )
    assert found["Linked"][0] == WorkState.FAILED and "is a link, not a file" in found["Linked"][1]
    assert list(Post.objects.filter(author=user).values_list("title", flat=True)) == ["The good one"]
    assert not any(
        Path(folder).joinpath("escaped.jpg").exists() for folder in ("/", tempfile.gettempdir(), tmp_path.parent)
    )


def test_missing_and_extra_json_fields(signed_in_client, user, run_on_commit):
    raw = [
        {"media": [{"uri": "media/posts/201901/good.jpg", "creation_timestamp": 1_546_400_000, "title": "Good"}]},
        {
            "media": [{"uri": "media/posts/201901/good2.jpg", "creation_timestamp": "1546500000", "title": "Extra"}],
            "new_field_from_2031": {"nested": [1, 2]},
            "title": None,
        },
        {"media": [{"uri": "media/posts/201901/nodate.jpg", "title": "No date"}]},
        {"media": [], "title": "No media", "creation_timestamp": 1_546_400_000},
        {"title": "No media key at all", "creation_timestamp": 1_546_400_000},
        "not an object",
        {"media": [{"uri": 42, "creation_timestamp": 1_546_400_000, "title": "Bad uri"}]},
    ]
    archive = as_upload(
        write_instagram,
        [
            IgPost([("media/posts/201901/good.jpg", picture(mark=1))]),
            IgPost([("media/posts/201901/good2.jpg", picture(mark=3))]),
        ],
        raw_posts_json=raw,
    )
    run = import_all(signed_in_client, archive, run_on_commit)
    found = messages_by_caption(run)
    assert found["Good"][0] == found["Extra"][0] == WorkState.IMPORTED
    assert found["No date"] == (WorkState.FAILED, "This post has no date we can read.")
    assert found["No media"] == (WorkState.FAILED, "This post lists no photo or video.")
    assert found["No media key at all"][0] == WorkState.FAILED
    assert found["Bad uri"][0] == WorkState.FAILED
    assert sorted(Post.objects.filter(author=user).values_list("title", flat=True)) == ["Extra", "Good"]


def test_a_missing_file_and_a_broken_heic_are_reported_and_the_rest_imported(signed_in_client, user, run_on_commit):
    posts = [
        GOOD,
        IgPost(
            [
                ("media/posts/201902/ok.jpg", picture(mark=4)),
                ("media/posts/201902/gone.jpg", None),
                ("media/posts/201902/broken.heic", BROKEN_HEIC),
            ],
            "Carousel with holes",
            1_549_000_000,
        ),
        IgPost([("media/posts/201903/only-gone.jpg", None)], "Only a missing file", 1_552_000_000),
        IgPost([("media/posts/201903/only-broken.heic", BROKEN_HEIC)], "Only a broken HEIC", 1_552_100_000),
    ]
    run = import_all(signed_in_client, as_upload(write_instagram, posts), run_on_commit)
    found = messages_by_caption(run)
    state, message = found["Carousel with holes"]
    assert state == WorkState.IMPORTED
    assert "media/posts/201902/gone.jpg is named but not in the archive." in message
    assert "File 3 (media/posts/201902/broken.heic)" in message
    carousel = Post.objects.get(author=user, title="Carousel with holes")
    assert carousel.items.count() == 1
    assert found["Only a missing file"][0] == WorkState.FAILED
    assert found["Only a broken HEIC"][0] == WorkState.FAILED
    # Nothing half-written: the failed works left no post, no item and no stored original.
    assert Post.objects.filter(author=user).count() == 2
    kept = {name for item in MediaItem.objects.all() for name in item.private_file_names}
    assert stored_names(originals_storage(), "posts") == kept
    assert run.imported == 2 and run.failed == 2
    page = signed_in_client.get(reverse("portability:import", args=[run.pk])).content.decode()
    assert "is named but not in the archive" in page


def test_the_storage_quota_is_respected(signed_in_client, user, settings, run_on_commit):
    size = len(picture(mark=1))
    settings.PORTABILITY_STORAGE_QUOTA_BYTES = size * 2 + size // 2
    posts = [
        IgPost([(f"media/posts/201901/{n}.jpg", picture(mark=n))], f"Post {n}", 1_546_400_000 + n) for n in range(4)
    ]
    run = import_all(signed_in_client, as_upload(write_instagram, posts), run_on_commit)
    assert run.imported == 2 and run.failed == 2
    assert "Your storage is full" in run.works.filter(state=WorkState.FAILED).first().message
    total = sum(MediaItem.objects.filter(post__author=user).values_list("original_bytes", flat=True))
    assert total <= settings.PORTABILITY_STORAGE_QUOTA_BYTES


def test_script_in_captions_is_text(signed_in_client, user, run_on_commit):
    evil = IgPost(
        [("media/posts/201901/e.jpg", picture())],
        '<script>alert("x")</script><img src=x onerror=alert(1)>',
        1_546_400_000,
    )
    response = upload(signed_in_client, as_upload(write_instagram, [evil]))
    run = ArchiveImport.objects.get()
    page = signed_in_client.get(response["Location"]).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    with run_on_commit():
        signed_in_client.post(reverse("portability:import_start", args=[run.pk]), {"unticked": ""})
    post = Post.objects.get(author=user)
    detail = signed_in_client.get(post.get_absolute_url()).content.decode()
    assert "<script>alert" not in detail and "<img src=x" not in detail


def test_archive_uploads_are_rate_limited(signed_in_client, settings):
    settings.PORTABILITY_IMPORTS_PER_DAY = 1
    assert upload(signed_in_client, as_upload(write_instagram, [GOOD])).status_code == 302
    response = upload(signed_in_client, as_upload(write_instagram, [GOOD]))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_safe_zip_reads_only_declared_bytes(tmp_path):
    """A member whose local data is longer than its directory entry says is cut at the declared size."""
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.json", json.dumps({"ok": True}))
    with SafeZip(path) as archive:
        assert archive.read_json("a.json") == {"ok": True}
        with pytest.raises(ArchiveRefused):
            archive.read_json("missing.json")
    buffer = io.BytesIO(b"PK\x03\x04 not really")
    (tmp_path / "b.zip").write_bytes(buffer.getvalue())
    with pytest.raises(ArchiveRefused, match="not a ZIP"):
        SafeZip(tmp_path / "b.zip")
