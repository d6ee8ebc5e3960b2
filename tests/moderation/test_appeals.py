"""Appeals with process proof: the author's only way back, checked by content, and losing nothing
when a file is refused; the proof stays private to the author and the moderators."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from atelier.media.storages import originals_storage, public_storage
from atelier.moderation import services
from atelier.moderation.models import Appeal, CaseStatus, ProofFile, ReviewCase
from atelier.posts import services as post_services
from atelier.posts.models import Post
from atelier.protection.detection.services import media_item_detect
from tests.conftest import image_bytes
from tests.detection.test_provenance import A1111, png_with_text
from tests.moderation.conftest import wip_png
from tests.posts.support import add_file, publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


def appeal(client, post, message="I painted this in Krita over three evenings.", files=()):
    return client.post(f"/posts/{post.pk}/appeal", {"message": message, "files": list(files)})


def png_upload(name="wip-1.png", data=None):
    return SimpleUploadedFile(name, data or wip_png(), content_type="image/png")


def psd_bytes() -> bytes:
    # A Photoshop file's header: signature, version 1, reserved, 3 channels, 64×64, 8 bits, RGB.
    size = (64).to_bytes(4, "big") * 2
    return b"8BPS\x00\x01" + b"\x00" * 6 + b"\x00\x03" + size + b"\x00\x08\x00\x03" + b"\x00" * 64


def kra_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/x-krita")
        archive.writestr("maindoc.xml", "<DOC/>")
    return buffer.getvalue()


def test_an_appeal_with_proof_goes_back_to_the_queue(held_post, artist_client, moderator_client):
    files = [png_upload(), SimpleUploadedFile("painting.psd", psd_bytes()), SimpleUploadedFile("x.kra", kra_bytes())]
    response = appeal(artist_client, held_post, files=files)
    assert response.status_code == 302 and response["Location"].endswith("#review")
    case = ReviewCase.objects.get(post=held_post)
    assert case.status == CaseStatus.OPEN and case.appealed_at
    kinds = sorted(ProofFile.objects.values_list("kind", "format"))
    assert kinds == [("image", "PNG"), ("layered", "KRA"), ("layered", "PSD")]
    for proof in ProofFile.objects.all():
        assert originals_storage().exists(proof.stored_name)
        assert not public_storage().exists(proof.stored_name)
    queue = moderator_client.get("/moderation/").content.decode()
    assert "Appealed" in queue
    page = artist_client.get(held_post.get_absolute_url()).content.decode()
    assert "You appealed on" in page and f"/posts/{held_post.pk}/appeal" not in page


def test_proof_files_are_for_the_author_and_moderators_only(
    held_post, artist_client, moderator_client, stranger_client, client
):
    appeal(artist_client, held_post, files=[png_upload(), SimpleUploadedFile("layers.psd", psd_bytes())])
    image, layered = ProofFile.objects.order_by("kind")
    for viewer in (moderator_client, artist_client):
        shown = viewer.get(f"/moderation/proofs/{image.pk}")
        assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
        assert shown["Cache-Control"] == "private, no-store" and "sandbox" in shown["Content-Security-Policy"]
        assert b"".join(shown.streaming_content).startswith(b"\x89PNG")
    download = moderator_client.get(f"/moderation/proofs/{layered.pk}")
    assert download["Content-Disposition"].startswith("attachment")
    assert stranger_client.get(f"/moderation/proofs/{image.pk}").status_code == 404
    assert client.get(f"/moderation/proofs/{image.pk}").status_code == 302  # to the login page


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("wip.png", image_bytes("PNG", size=(300, 200))[:300], "damaged or incomplete"),
        ("notes.png", b"just some text, named like an image\n" * 20, "not one we can check"),
        ("fake.kra", b"PK\x03\x04" + b"\x00" * 200, "not one we can check"),
        ("empty.png", b"", "empty"),
    ],
)
def test_a_refused_file_loses_nothing(held_post, artist_client, name, data, words):
    message = "My <b>process</b>: sketch, flats, render."
    response = appeal(artist_client, held_post, message=message, files=[png_upload(), SimpleUploadedFile(name, data)])
    body = response.content.decode()
    assert response.status_code == 400 and words in body
    assert "My &lt;b&gt;process&lt;/b&gt;: sketch, flats, render." in body  # what they typed comes back
    assert not Appeal.objects.exists() and not ProofFile.objects.exists()
    stored = originals_storage().listdir("proofs")[0] if originals_storage().exists("proofs") else []
    assert all(not originals_storage().listdir(f"proofs/{folder}")[1] for folder in stored)
    assert ReviewCase.objects.get(post=held_post).appealed_at is None


def test_a_decompression_bomb_is_refused(held_post, artist_client):
    bomb = image_bytes("PNG", size=(12000, 12000))
    response = appeal(artist_client, held_post, files=[SimpleUploadedFile("bomb.png", bomb)])
    assert response.status_code == 400 and "megapixels" in response.content.decode()
    assert not Appeal.objects.exists()


def test_too_many_files_or_no_message(settings, held_post, artist_client):
    settings.MODERATION_PROOF_MAX_FILES = 2
    response = appeal(artist_client, held_post, files=[png_upload(f"{index}.png") for index in range(3)])
    assert response.status_code == 400 and "up to 2 files" in response.content.decode()
    assert appeal(artist_client, held_post, message="   ").status_code == 400
    assert not Appeal.objects.exists()


def test_an_appeal_is_sent_once_until_decided(held_post, artist_client):
    assert appeal(artist_client, held_post).status_code == 302
    second = appeal(artist_client, held_post, message="Again")
    assert second.status_code == 400 and "already with a moderator" in second.content.decode()
    assert Appeal.objects.count() == 1


def test_only_the_author_of_a_held_post_can_appeal(
    held_post, stranger_client, artist_client, make_published_post, artist
):
    assert appeal(stranger_client, held_post).status_code == 404
    public = make_published_post(artist, title="Not held")
    assert appeal(artist_client, public).status_code == 404
    assert not Appeal.objects.exists()


def test_asking_for_proof_then_approving(held_post, artist, artist_client, moderator, moderator_client, client):
    case = held_post.review_case
    moderator_client.post(f"/moderation/cases/{case.pk}/", {"action": "proof", "note": "Please send a WIP."})
    case.refresh_from_db()
    assert case.status == CaseStatus.PROOF_REQUESTED
    assert "asks for process proof" in artist_client.get("/notifications/").content.decode()
    page = artist_client.get(held_post.get_absolute_url()).content.decode()
    assert "Send process proof" in page and "Please send a WIP." in page
    assert appeal(artist_client, held_post, files=[png_upload()]).status_code == 302
    moderator_client.post(f"/moderation/cases/{case.pk}/", {"action": "approve", "note": "The WIP shows the sketch."})
    assert Post.objects.public().filter(pk=held_post.pk).exists()
    assert client.get(held_post.get_absolute_url()).status_code == 200


def test_an_approved_upload_is_not_held_again_when_reprocessed(
    make_user, moderator, django_capture_on_commit_callbacks
):
    """The real detection step labels an A1111 PNG; after a moderator approves, processing the same
    item again (a retry, a re-render) records the evidence but does not hide the post again."""
    artist = make_user("prompter")
    draft = post_services.post_create_draft(author=artist)
    item = add_file(draft, png_with_text(parameters=A1111), capture=django_capture_on_commit_callbacks)
    post = publish(draft, capture=django_capture_on_commit_callbacks, title="Lighthouse")
    assert post.is_held and ReviewCase.objects.get(post=post).labelled
    services.case_decide(case_id=post.review_case.pk, moderator=moderator, action="approve", note="Timelapse seen.")
    with django_capture_on_commit_callbacks(execute=True):
        assert media_item_detect(item_id=item.pk) == "ai_labelled"
    post.refresh_from_db()
    assert not post.is_held and Post.objects.public().filter(pk=post.pk).exists()
    anyone = Client()
    assert anyone.get(post.get_absolute_url()).status_code == 200
