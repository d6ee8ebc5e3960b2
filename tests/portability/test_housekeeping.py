"""What is kept and for how long: scanned archives, exports past their link, one import at a time."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from atelier.media.storages import originals_storage
from atelier.portability.exporting import expired_exports_purge
from atelier.portability.models import ArchiveExport, ArchiveImport, ExportState, ImportState
from atelier.portability.running import stale_imports_purge
from tests.core.test_security_headers import assert_csp_compatible_markup, assert_strict_headers
from tests.media.sample_files import stored_names
from tests.portability.archive_files import BROKEN_HEIC, IgPost, clip_bytes, picture, write_instagram
from tests.portability.conftest import as_upload


def upload(client, posts):
    response = client.post(
        reverse("portability:import_upload"), {"source": "instagram", "archive": as_upload(write_instagram, posts)}
    )
    assert response.status_code == 302
    return ArchiveImport.objects.latest("pk")


def test_thumbnails_only_for_pictures_that_pass_the_upload_checks(signed_in_client):
    posts = [
        IgPost([("media/posts/201901/ok.jpg", picture())], "ok"),
        IgPost([("media/posts/201901/bad.heic", BROKEN_HEIC)], "bad"),
        IgPost([("media/posts/201901/v.mp4", clip_bytes())], "video"),
    ]
    run = upload(signed_in_client, posts)
    status = {
        work.caption: signed_in_client.get(reverse("portability:import_thumbnail", args=[run.pk, work.pk])).status_code
        for work in run.works.all()
    }
    assert status == {"ok": 200, "bad": 404, "video": 404}
    page = signed_in_client.get(reverse("portability:import", args=[run.pk])).content.decode()
    assert 'class="import-thumb-video"' in page


def test_archives_never_started_and_expired_exports_are_deleted(signed_in_client, user):
    run = upload(signed_in_client, [IgPost([("media/posts/201901/ok.jpg", picture())], "ok")])
    assert stale_imports_purge(now=timezone.now() + timedelta(hours=1)) == 0
    assert stale_imports_purge(now=timezone.now() + timedelta(days=3)) == 1
    run.refresh_from_db()
    assert run.state == ImportState.DISCARDED and stored_names(originals_storage(), "imports") == set()

    name = originals_storage().save(f"exports/{user.pk}/old.zip", ContentFile(b"PK"))
    ArchiveExport.objects.create(
        owner=user, state=ExportState.READY, file_name=name, expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert expired_exports_purge() == 1
    assert stored_names(originals_storage(), "exports") == set()
    page = signed_in_client.get(reverse("portability:home")).content.decode()
    assert "expired" in page


def test_one_import_runs_at_a_time(signed_in_client):
    first = upload(signed_in_client, [IgPost([("media/posts/201901/a.jpg", picture())], "a")])
    second = upload(signed_in_client, [IgPost([("media/posts/201902/b.jpg", picture(mark=2))], "b")])
    signed_in_client.post(reverse("portability:import_start", args=[first.pk]), {"unticked": ""})  # not committed
    response = signed_in_client.post(
        reverse("portability:import_start", args=[second.pk]), {"unticked": ""}, follow=True
    )
    assert "Another import is running" in response.content.decode()
    second.refresh_from_db()
    assert second.state == ImportState.SCANNED
    again = signed_in_client.post(
        reverse("portability:import_upload"),
        {"source": "instagram", "archive": as_upload(write_instagram, [IgPost([("m/c.jpg", picture())], "c")])},
    )
    assert again.status_code == 400 and "already running" in again.content.decode()


def test_portability_pages_have_no_inline_code(signed_in_client, run_on_commit):
    run = upload(signed_in_client, [IgPost([("media/posts/201901/a.jpg", picture())], "a")])
    pages = [reverse("portability:home"), reverse("portability:import", args=[run.pk])]
    with run_on_commit():
        signed_in_client.post(reverse("portability:import_start", args=[run.pk]), {"unticked": ""})
    pages.append(reverse("portability:import", args=[run.pk]))  # the finished page
    for path in pages:
        response = signed_in_client.get(path)
        assert response.status_code == 200
        assert_strict_headers(response)
        assert_csp_compatible_markup(response)
