import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.portability.archive_files import IgPost, picture


@pytest.fixture(autouse=True)
def _empty_storages(isolated_media):
    """Each test starts with empty storages, so it can assert which originals and ZIPs remain."""
    return isolated_media


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what a commit would queue (the import task, processing, detection, email), eagerly."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def as_upload(write, *args, name: str = "archive.zip", **kwargs) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    write(buffer, *args, **kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def zip_upload(members: dict[str, bytes], name: str = "archive.zip") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


@pytest.fixture
def six_posts() -> list[IgPost]:
    """Six posts over three years: singles in JPEG/WebP, a carousel with a HEIC and an MP4-free mix."""
    return [
        IgPost([("media/posts/201806/a.jpg", picture(mark=1))], "Première esquisse ☕ #sketch #ink", 1_528_000_000),
        IgPost([("media/posts/201811/b.webp", picture("WEBP", mark=2))], "Autumn study #oil", 1_541_000_000),
        IgPost(
            [("media/posts/201903/c1.jpg", picture(mark=3)), ("media/posts/201903/c2.heic", picture("HEIF", mark=4))],
            "Carousel of the month #comics",
            1_552_000_000,
            location=(48.8566, 2.3522),
        ),
        IgPost([("media/posts/201905/d.jpg", picture(mark=5))], "Untick me", 1_557_000_000),
        IgPost([("media/posts/202001/e.jpg", picture(mark=6))], "Untick me too", 1_578_000_000),
        IgPost([("media/posts/202002/f.jpg", picture(mark=7))], "", 1_581_000_000),
    ]
