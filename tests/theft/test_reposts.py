"""Art-theft detection end to end through the real services: a mirrored, cropped or re-encoded copy
of another artist's public work is held for review with the repost reason, a case and a notice to the
original artist; one's own re-upload, private works, flat and broken files never match."""

import io

import numpy as np
import pytest
from PIL import Image, ImageOps
from skimage import data

from atelier.moderation.models import ReviewCase
from atelier.notifications.models import Notification, Verb
from atelier.posts import services, visibility
from atelier.posts.models import PostState
from atelier.protection.theft import fingerprints, keypoints
from atelier.protection.theft import services as theft
from atelier.protection.theft.models import Fingerprint, MatchStatus, RepostMatch, Thumbnail
from tests.posts.support import add_file, publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, fmt, **options)
    return buffer.getvalue()


ARTWORK = Image.fromarray(data.astronaut())
OTHER_WORK = Image.fromarray(data.chelsea())


def posted(author, picture: bytes, capture, *, title="Work"):
    draft = services.post_create_draft(author=author)
    item = add_file(draft, picture, capture=capture)
    post = publish(draft, capture=capture, title=title)
    return post, item


@pytest.fixture
def original(artist, django_capture_on_commit_callbacks):
    post, item = posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks, title="Astronaut")
    assert post.state == PostState.PUBLIC
    assert Fingerprint.objects.filter(item=item, matchable=True, kp_x__isnull=True).count() == 6
    assert Fingerprint.objects.filter(item=item, matchable=True, kp_x__isnull=False).count() > 40
    return post


@pytest.mark.parametrize(
    "copy",
    [
        lambda image: encoded(ImageOps.mirror(image), "JPEG", quality=70),
        lambda image: encoded(image.resize((256, 256)), "WEBP", quality=60),
        lambda image: encoded(ImageOps.mirror(image.crop((10, 10, 502, 502))), "JPEG", quality=85),
        lambda image: encoded(ImageOps.mirror(image.crop((60, 0, 512, 400))), "JPEG", quality=85),
        lambda image: encoded(image.rotate(-4, Image.Resampling.BICUBIC).crop((40, 40, 472, 472)), "JPEG", quality=85),
    ],
    ids=["mirrored-jpeg", "small-webp", "mirrored-cropped", "mirrored-cropped-a-fifth", "turned-4-degrees"],
)
def test_a_copy_of_someone_elses_public_work_is_held_for_review(
    copy, original, artist, thief, django_capture_on_commit_callbacks
):
    post, item = posted(thief, copy(ARTWORK), django_capture_on_commit_callbacks)
    assert post.state == PostState.HELD
    assert post.held_reason == theft.REPOST_REASON
    assert post.held_reason.startswith("Held for review — looks like a work already posted by someone else")
    match = RepostMatch.objects.get(item=item)
    assert (match.original_post_id, match.status) == (original.pk, MatchStatus.PENDING)
    assert ReviewCase.objects.get(post=post).is_pending
    told = Notification.objects.get(recipient=artist, verb=Verb.REPOST)
    assert told.post_id == original.pk and told.actor_id is None
    # The held copy's own hashes are not matchable: a third upload is compared with the original only.
    assert not Fingerprint.objects.filter(post=post, matchable=True).exists()


def test_the_artist_reuploading_their_own_work_is_not_held(original, artist, django_capture_on_commit_callbacks):
    post, _ = posted(artist, encoded(ImageOps.mirror(ARTWORK), "JPEG", quality=80), django_capture_on_commit_callbacks)
    assert post.state == PostState.PUBLIC
    assert not RepostMatch.objects.exists()


def test_a_different_work_is_not_held(original, thief, django_capture_on_commit_callbacks):
    post, _ = posted(thief, encoded(OTHER_WORK), django_capture_on_commit_callbacks)
    assert post.state == PostState.PUBLIC
    assert not RepostMatch.objects.exists()


def test_works_that_are_not_public_are_never_matched(artist, thief, django_capture_on_commit_callbacks):
    draft = services.post_create_draft(author=artist)
    add_file(draft, encoded(ARTWORK), capture=django_capture_on_commit_callbacks)  # a draft: never published
    held, _ = posted(artist, encoded(OTHER_WORK), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        visibility.hold(post_id=held.pk, reason="A moderator is looking")
    assert not Fingerprint.objects.filter(matchable=True).exists()
    for picture in (ARTWORK, OTHER_WORK):
        post, _ = posted(thief, encoded(picture, "JPEG", quality=80), django_capture_on_commit_callbacks)
        assert post.state == PostState.PUBLIC
    assert not RepostMatch.objects.exists()


def test_a_work_taken_out_of_public_view_stops_being_matched(
    original, artist, thief, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.post_unpublish(post=original, user=artist)
    assert not Fingerprint.objects.filter(post=original, matchable=True).exists()
    post, _ = posted(thief, encoded(ARTWORK, "JPEG", quality=80), django_capture_on_commit_callbacks)
    assert post.state == PostState.PUBLIC


@pytest.mark.parametrize(
    "picture",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,  # a broken PNG
        encoded(Image.new("RGB", (800, 600), (200, 30, 30))),  # one flat colour: PDQ quality 0
        encoded(ARTWORK.resize((20, 20))),  # an icon
        encoded(ARTWORK.resize((4000, 12))),  # a sliver: too thin once brought to the working size
        encoded(Image.new("RGB", (1, 1))),
    ],
    ids=["corrupt", "solid-colour", "tiny", "huge-aspect", "one-pixel"],
)
def test_files_with_nothing_to_tell_apart_get_no_hashes_and_match_nothing(picture):
    image = theft.open_picture(io.BytesIO(picture))
    assert image is None or fingerprints.stored_hashes(image) == []
    assert image is None or fingerprints.query_hashes(image) == []


def test_solid_colour_uploads_never_hold_each_other(artist, thief, django_capture_on_commit_callbacks):
    red = encoded(Image.new("RGB", (800, 600), (200, 30, 30)))
    posted(artist, red, django_capture_on_commit_callbacks)
    post, _ = posted(thief, red, django_capture_on_commit_callbacks)
    assert post.state == PostState.PUBLIC


def test_only_the_original_artist_may_answer_and_the_answer_is_kept(
    original, artist, thief, django_capture_on_commit_callbacks
):
    posted(thief, encoded(ImageOps.mirror(ARTWORK), "JPEG", quality=75), django_capture_on_commit_callbacks)
    match = RepostMatch.objects.get()
    with pytest.raises(Exception, match="Only the artist"):
        theft.match_answer(match_id=match.pk, artist=thief, mine=False)
    assert theft.match_answer(match_id=match.pk, artist=artist, mine=True).status == MatchStatus.CONFIRMED


def test_pdq_hashes_are_256_bits_and_the_distance_counts_bits():
    (whole, *_) = fingerprints.stored_hashes(ARTWORK)
    assert len(whole.value) == 32 and whole.window == fingerprints.WHOLE
    flipped = bytes([whole.value[0] ^ 0b1011]) + whole.value[1:]
    assert fingerprints.distance(whole.value, flipped) == 3
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    assert fingerprints.distance(whole.value, fingerprints.stored_hashes(Image.fromarray(noise))[0].value) > 64


def test_the_backfill_fingerprints_older_works_once_without_holding_them(
    artist, thief, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.management import call_command

    first, item = posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks)
    Fingerprint.objects.all().delete()  # posted before the index existed
    second, _ = posted(thief, encoded(ImageOps.mirror(ARTWORK), "JPEG", quality=80), django_capture_on_commit_callbacks)
    assert second.state == PostState.PUBLIC  # nothing to compare with yet
    out = StringIO()
    call_command("theft_backfill", stdout=out)
    assert "1 items fingerprinted" in out.getvalue()  # the second was fingerprinted on upload
    assert Fingerprint.objects.filter(item=item, matchable=True, kp_x__isnull=True).count() == 6
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (PostState.PUBLIC, PostState.PUBLIC)
    call_command("theft_backfill", stdout=out)
    assert "0 items fingerprinted" in out.getvalue()


def test_the_backfill_adds_verification_corners_to_works_hashed_without_them(
    artist, thief, django_capture_on_commit_callbacks
):
    """Works hashed before `Thumbnail.corners` existed have an empty value there: their keypoint
    matches cannot be verified until the backfill re-hashes them (and only them)."""
    from io import StringIO

    from django.core.management import call_command

    _, item = posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks)
    _, other = posted(thief, encoded(OTHER_WORK), django_capture_on_commit_callbacks)
    Thumbnail.objects.filter(item=item).update(corners=b"")
    kept_rows = set(Fingerprint.objects.filter(item=other).values_list("pk", flat=True))
    out = StringIO()
    call_command("theft_backfill", stdout=out)
    assert "1 items fingerprinted" in out.getvalue()
    assert len(Thumbnail.objects.get(item=item).corners) == 48 * keypoints.VERIFY_KEYPOINTS
    assert set(Fingerprint.objects.filter(item=other).values_list("pk", flat=True)) == kept_rows  # untouched


def test_the_backfill_adds_repeated_corners_to_works_hashed_without_them(
    artist, thief, django_capture_on_commit_callbacks
):
    """Works hashed before `Thumbnail.repeated` existed hold NULL there (none kept yet, unlike an empty
    value: none found): the backfill re-hashes them, and only them, once."""
    from io import StringIO

    from django.core.management import call_command

    _, item = posted(artist, encoded(ARTWORK), django_capture_on_commit_callbacks)
    _, other = posted(thief, encoded(OTHER_WORK), django_capture_on_commit_callbacks)
    assert Thumbnail.objects.get(item=other).repeated is not None  # hashed now: kept, even when empty
    Thumbnail.objects.filter(item=item).update(repeated=None)
    kept_rows = set(Fingerprint.objects.filter(item=other).values_list("pk", flat=True))
    out = StringIO()
    call_command("theft_backfill", stdout=out)
    assert "1 items fingerprinted" in out.getvalue()
    assert Thumbnail.objects.get(item=item).repeated is not None
    assert set(Fingerprint.objects.filter(item=other).values_list("pk", flat=True)) == kept_rows  # untouched
    out = StringIO()
    call_command("theft_backfill", stdout=out)
    assert "0 items fingerprinted" in out.getvalue()
