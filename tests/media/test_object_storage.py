"""The S3 storage's shorter conversations with the object store (atelier/media/object_storage.py), on
both stores the site is tested against: moto's S3 server and SeaweedFS (what production runs here).
Every request is counted from botocore's own event hooks, so "one GET" is the store's view, not ours."""

from collections import Counter

import pytest
from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile

from atelier.media import object_storage
from atelier.media.storages import files_make_public, files_withhold, public_storage, withheld_storage
from tests import s3_stand_in
from tests.edge.conftest import object_store, use_object_store  # noqa: F401 - the session's SeaweedFS

BUCKET = "object-storage-test"


@pytest.fixture(scope="module")
def moto_endpoint():
    with s3_stand_in.served(BUCKET) as endpoint:
        yield endpoint


@pytest.fixture(params=["moto", "seaweedfs"])
def on_s3(request, settings, tmp_path):
    """The production storage settings against one of the two stores."""
    if request.param == "moto":
        s3_stand_in.use_s3_storages(
            settings, endpoint=request.getfixturevalue("moto_endpoint"), bucket=BUCKET, media_root=tmp_path
        )
    else:
        use_object_store(settings, request.getfixturevalue("object_store"), tmp_path)
    return request.param


class Requests:
    """The S3 operations a storage sends, by name (botocore's `before-call` event)."""

    def __init__(self, *storages):
        self.sent = Counter()
        for storage in storages:
            storage.connection.meta.client.meta.events.register("before-call.s3", self._count)

    def _count(self, model, **_):
        self.sent[model.name] += 1

    def clear(self):
        self.sent.clear()


def _unique(name: str) -> str:
    import secrets

    return f"posts/1/{secrets.token_hex(6)}-{name}"


def test_a_read_is_one_get_and_gives_a_seekable_file(on_s3):
    storage = withheld_storage()
    data = bytes(range(256)) * 40
    name = storage.save(_unique("a.webp"), ContentFile(data))
    requests = Requests(storage)

    with storage.open(name, "rb") as stored:
        assert stored.read(10) == data[:10]
        stored.seek(0)  # Pillow seeks back while identifying a picture
        assert stored.read() == data

    assert requests.sent == {"GetObject": 1}


def test_a_large_read_spills_to_disk_and_stays_whole(on_s3, monkeypatch):
    monkeypatch.setattr(object_storage, "READ_IN_MEMORY_BYTES", 1024)
    storage = withheld_storage()
    data = b"\x89PNG" + bytes(range(256)) * 4096  # 1 MB, past the memory limit
    name = storage.save(_unique("b.png"), ContentFile(data))
    with storage.open(name, "rb") as stored:
        assert stored.read() == data


def test_reading_a_missing_file_is_file_not_found(on_s3):
    with pytest.raises(FileNotFoundError):
        withheld_storage().open(_unique("missing.webp"), "rb")


def test_a_save_asks_no_question_first_and_keeps_its_name(on_s3):
    storage = public_storage()
    requests = Requests(storage)
    name = _unique("c.webp")

    assert storage.save(name, ContentFile(b"RIFF....WEBP")) == name

    assert requests.sent == {"PutObject": 1}


def test_a_move_is_a_server_side_copy_and_a_delete(on_s3):
    public, withheld = public_storage(), withheld_storage()
    data = b"RIFF" + bytes(range(200)) * 10
    name = withheld.save(_unique("d.webp"), ContentFile(data))
    requests = Requests(public, withheld)

    assert files_make_public([name]) == 1

    assert requests.sent == {"CopyObject": 1, "DeleteObject": 1}
    assert not withheld.exists(name)
    with public.open(name, "rb") as moved:
        assert moved.read() == data
    # The public copy carries the public storage's headers, not the withheld one's.
    head = public.connection.meta.client.head_object(Bucket=public.bucket_name, Key=public._key(name))
    assert head["CacheControl"] == "public, max-age=3600"
    assert head["ContentType"] == "image/webp"


def test_moving_a_file_that_is_not_there_moves_nothing_in_one_request(on_s3):
    public, withheld = public_storage(), withheld_storage()
    name = public.save(_unique("e.webp"), ContentFile(b"RIFF....WEBP"))
    requests = Requests(public, withheld)

    assert files_make_public([name]) == 0  # already public: nothing withheld to move

    assert requests.sent == {"CopyObject": 1}
    assert public.exists(name)


def test_moves_there_and_back_leave_one_copy_with_its_bytes(on_s3):
    public, withheld = public_storage(), withheld_storage()
    data = b"RIFF" + bytes(range(100)) * 3
    name = withheld.save(_unique("f.webp"), ContentFile(data))

    assert files_make_public([name]) == 1
    assert files_make_public([name]) == 0  # repeated: safe
    assert files_withhold([name]) == 1

    assert withheld.exists(name) and not public.exists(name)
    with withheld.open(name, "rb") as back:
        assert back.read() == data


@pytest.mark.parametrize("name", ["../originals/posts/1/x.png", "posts/../../originals/x.png"])
def test_a_name_that_climbs_out_of_its_prefix_is_refused(on_s3, name):
    with pytest.raises(SuspiciousOperation):
        withheld_storage().open(name, "rb")
    with pytest.raises(SuspiciousOperation):
        public_storage().copied_from(withheld_storage(), name)
