"""Export everything, download it only as its owner, and move to another instance with it."""

import io
import json
import re
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from atelier.accounts.models import AccountType
from atelier.albums import services as albums
from atelier.jobs import services as jobs
from atelier.media.crops import CropBox
from atelier.media.storages import originals_storage
from atelier.portability.models import ArchiveExport, ArchiveImport, ExportState, ImportState
from atelier.posts import services as posts
from atelier.posts.models import Licence, Post
from atelier.social import services as social
from tests.jobs.conftest import job_data
from tests.portability.archive_files import picture

WHEN = timezone.now().replace(microsecond=0) - timedelta(days=900)


def make_post(author, *, title, alt, fmt="JPEG", licence=Licence.CC_BY, when=WHEN) -> Post:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "upload")
        path.write_bytes(picture(fmt, mark=len(title)))
        post = posts.post_create_draft(author=author)
        item = posts.media_add_file(post=post, user=author, path=path, alt_text=alt)
    posts.post_update_details(
        post=post,
        user=author,
        title=title,
        description=f"About {title}",
        medium="digital_2d",
        category="illustration",
        tags=["fox", "ink"],
        software=["Krita"],
        is_mature=False,
        made_with_ai=False,
        licence=licence,
    )
    posts.post_set_crop(post=post, user=author, kind="thumbnail", item=item, crop=CropBox(0.1, 0.2, 0.5, 0.5))
    posts.post_set_original_date(post=post, user=author, published_at=when)
    return posts.post_publish(post=post, user=author)


@pytest.fixture
def portfolio(user, stranger, make_user, run_on_commit):
    """Mira's account: two posts (one commented by Ossian), an album, a follow and a job application."""
    with run_on_commit():
        fox = make_post(user, title="Fox", alt="A red fox in snow")
        heron = make_post(user, title="Heron", alt="A grey heron", fmt="PNG", licence=Licence.CC_BY_NC)
    social.comment_create(author=stranger, post_id=fox.pk, body="Lovely <b>fur</b>")
    album = albums.album_create(owner=user, title="Birds and beasts", description="Both", is_public=True)
    albums.album_add_post(album=album, user=user, post_id=heron.pk)
    albums.album_add_post(album=album, user=user, post_id=fox.pk)
    social.follow_create(follower=user, followee=stranger)
    studio = make_user("lanternfish", account_type=AccountType.STUDIO)
    job = jobs.job_save(studio=studio, data=job_data())
    jobs.application_create(job=job, applicant=user, note="I paint harbours too.", post_ids=[fox.pk])
    return {"fox": fox, "heron": heron, "album": album, "studio": studio}


def request_export(client, run_on_commit) -> ArchiveExport:
    with run_on_commit():
        response = client.post(reverse("portability:export_request"))
    assert response.status_code == 302
    export = ArchiveExport.objects.latest("pk")
    assert export.state == ExportState.READY
    return export


def link_from_email() -> str:
    return re.search(r"https?://\S+/download\?sig=\S+", mail.outbox[-1].body).group(0)


def test_export_holds_everything_and_index_html_links_to_files_inside(
    signed_in_client, user, stranger, portfolio, run_on_commit, settings
):
    export = request_export(signed_in_client, run_on_commit)
    assert mail.outbox[-1].to == [user.email]
    with originals_storage().open(export.file_name, "rb") as stored, zipfile.ZipFile(stored) as archive:
        names = set(archive.namelist())
        assert {"atelier-export.json", "posts.json", "albums.json", "follows.json", "jobs.json", "index.html"} <= names
        records = {record["title"]: record for record in json.loads(archive.read("posts.json"))}
        fox = records["Fox"]
        assert fox["published_at"] == WHEN.isoformat()
        assert fox["licence"] == Licence.CC_BY and fox["tags"] == ["fox", "ink"]
        assert fox["items"][0]["alt_text"] == "A red fox in snow"
        assert fox["thumbnail"] == {"item": 0, "crop": {"x": 0.1, "y": 0.2, "width": 0.5, "height": 0.5}}
        assert [(c["author"], c["body"]) for c in fox["comments"]] == [("ossian", "Lovely <b>fur</b>")]
        # The originals, byte for byte.
        item = portfolio["fox"].items.get()
        with originals_storage().open(item.original_name, "rb") as original:
            assert archive.read(fox["items"][0]["file"]) == original.read()
        assert json.loads(archive.read("albums.json")) == [
            {
                "title": "Birds and beasts",
                "description": "Both",
                "is_public": True,
                "posts": [portfolio["heron"].pk, portfolio["fox"].pk],
            }
        ]
        follows = json.loads(archive.read("follows.json"))
        assert follows == {"following": [f"{settings.SITE_URL}/@ossian"], "followers": []}
        applications = json.loads(archive.read("jobs.json"))["applications"]
        assert applications[0]["note"] == "I paint harbours too."
        index = archive.read("index.html").decode()
        linked = set(re.findall(r'(?:src|href)="([^"]+)"', index))
        assert linked and all(link in names for link in linked)  # every link is a file in the ZIP
        assert "Lovely &lt;b&gt;fur&lt;/b&gt;" in index


def test_studio_export_lists_jobs_and_applicants(user, portfolio, run_on_commit):
    client = Client()
    client.force_login(portfolio["studio"])
    export = request_export(client, run_on_commit)
    with originals_storage().open(export.file_name, "rb") as stored, zipfile.ZipFile(stored) as archive:
        jobs_json = json.loads(archive.read("jobs.json"))
    assert jobs_json["jobs"][0]["applicants"][0]["applicant"].endswith(f"/@{user.handle}")
    assert jobs_json["jobs"][0]["applicants"][0]["pieces"] == [portfolio["fox"].pk]


def test_download_only_for_its_owner_with_a_valid_unexpired_link(
    signed_in_client, stranger_client, portfolio, run_on_commit
):
    export = request_export(signed_in_client, run_on_commit)
    link = link_from_email()
    path = link.split("8000", 1)[1]
    response = signed_in_client.get(path)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).testzip() is None
    assert stranger_client.get(path).status_code == 404
    assert Client().get(path).status_code == 302  # signed out: to the login page
    assert signed_in_client.get(path[:-2] + "xx").status_code == 404
    assert signed_in_client.get(reverse("portability:export_download", args=[export.pk])).status_code == 404
    ArchiveExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert signed_in_client.get(path).status_code == 404


def test_one_export_at_a_time_and_a_few_a_day(signed_in_client, user, settings, run_on_commit):
    settings.PORTABILITY_EXPORTS_PER_DAY = 1
    ArchiveExport.objects.create(owner=user, state=ExportState.BUILDING)
    response = signed_in_client.post(reverse("portability:export_request"), follow=True)
    assert "already being prepared" in response.content.decode()
    ArchiveExport.objects.update(state=ExportState.READY)
    request_export(signed_in_client, run_on_commit)
    assert signed_in_client.post(reverse("portability:export_request")).status_code == 429


def test_moving_to_another_instance_keeps_dates_licences_crops_alt_text_and_albums(
    signed_in_client, user, make_user, portfolio, run_on_commit
):
    export = request_export(signed_in_client, run_on_commit)
    with originals_storage().open(export.file_name, "rb") as stored:
        data = stored.read()
    newcomer = make_user("mira_elsewhere")
    client = Client()
    client.force_login(newcomer)
    archive = SimpleUploadedFile("export.zip", data, content_type="application/zip")
    response = client.post(reverse("portability:import_upload"), {"source": "atelier", "archive": archive})
    assert response.status_code == 302, response.content.decode()[:2000]
    run = ArchiveImport.objects.get(owner=newcomer)
    with run_on_commit():
        client.post(reverse("portability:import_start", args=[run.pk]), {"unticked": ""})
    run.refresh_from_db()
    assert run.state == ImportState.DONE and run.imported == 2
    moved = {post.title: post for post in Post.objects.filter(author=newcomer)}
    fox, heron = moved["Fox"], moved["Heron"]
    assert fox.published_at == WHEN and fox.licence == Licence.CC_BY and heron.licence == Licence.CC_BY_NC
    assert fox.items.get().alt_text == "A red fox in snow"
    assert fox.thumbnail_crop == {"x": 0.1, "y": 0.2, "width": 0.5, "height": 0.5}
    assert sorted(fox.tags.values_list("name", flat=True)) == ["fox", "ink"]
    assert (fox.medium, fox.category, fox.software) == ("digital_2d", "illustration", ["Krita"])
    album = newcomer.albums.get()
    assert (album.title, album.is_public) == ("Birds and beasts", True)
    assert list(album.items.values_list("post_id", flat=True)) == [heron.pk, fox.pk]


def test_moved_to_must_be_an_https_address_and_shows_on_the_profile(signed_in_client, user):
    client = Client()
    url = reverse("portability:moved_to")
    for bad in (
        "http://other.example/@mira",
        "javascript:alert(1)",
        "other.example",
        "https://" + "a" * 300 + ".example",
    ):
        assert signed_in_client.post(url, {"moved_to": bad}).status_code == 400
    assert "moved to" not in client.get(user.get_absolute_url()).content.decode()
    assert signed_in_client.post(url, {"moved_to": "https://other.example/@mira"}).status_code == 302
    profile = client.get(user.get_absolute_url()).content.decode()
    assert 'moved to <a href="https://other.example/@mira"' in profile
    signed_in_client.post(url, {"moved_to": ""})
    assert "moved to" not in client.get(user.get_absolute_url()).content.decode()
