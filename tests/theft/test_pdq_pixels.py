"""A PDQ match beyond TRUSTED_BITS counts only when the pixels agree: the upload, laid on the stored
work as the two matched windows (or the two works' corners) say, must look like its thumbnail
(pdq_confirm.py). Two distinct works can share PDQ's 16×16 frequency picture (a bar chart and a
flat poster, two striped floors, a picture made to collide); a copy framed, mirrored, tinted or
resized still agrees, and one nearer than TRUSTED_BITS is held for a moderator on PDQ's word."""

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from atelier.posts.models import PostState
from atelier.protection.theft import appearance, fingerprints, pdq_confirm, verify
from atelier.protection.theft.index import MATCH_DISTANCE, nearest_to
from atelier.protection.theft.models import RepostMatch, Thumbnail
from tests.theft.test_frames import closest, on_white, screenshot
from tests.theft.test_reposts import encoded, posted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


def smooth_field(seed: int = 5, side: int = 512) -> np.ndarray:
    """Grey levels 0–1 made of low frequencies only: what PDQ's 16×16 DCT sees of a picture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side] / side
    field = sum(
        rng.normal() * np.cos(np.pi * (a * x + rng.uniform())) * np.cos(np.pi * (b * y + rng.uniform()))
        for a in range(1, 5)
        for b in range(1, 5)
    )
    return (field - field.min()) / (field.max() - field.min())


def grey_picture(levels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.dstack([(levels * 255).astype(np.uint8)] * 3))


WORK = grey_picture(smooth_field())


def collider(checker_share: float = 0.5) -> Image.Image:
    """WORK under a strong 16-cycle checker: PDQ keeps only the low frequencies, so its hash stays
    within MATCH_DISTANCE of WORK's, while to the eye (and the 32 × 32 thumbnail) it is a checkerboard."""
    side = WORK.width
    y, x = np.mgrid[0:side, 0:side] / side
    checker = (np.floor(x * 32) + np.floor(y * 32)) % 2
    return grey_picture((1 - checker_share) * smooth_field() + checker_share * checker)


def test_a_picture_made_to_collide_with_a_work_is_close_to_pdq_but_unlike_it():
    assert pdq_confirm.TRUSTED_BITS < closest(collider(), WORK) <= MATCH_DISTANCE
    kept, asked = fingerprints.stored(WORK), fingerprints.query(collider())
    through = verify.window_transform((0, 0, *asked.gray.shape[::-1]), (0, 0, *kept.size))
    assert appearance.resemblance(asked.gray, kept.thumbnail, kept.size, through) < 0.5
    assert appearance.resemblance(fingerprints.query(WORK).gray, kept.thumbnail, kept.size, through) > 0.99


def test_a_collision_is_not_held_and_a_copy_of_the_same_work_is(make_user, django_capture_on_commit_callbacks):
    artist, thief = make_user("ines"), make_user("bram")
    original, item = posted(artist, encoded(WORK), django_capture_on_commit_callbacks)
    assert original.state == PostState.PUBLIC
    assert nearest_to(fingerprints.query(collider()), exclude_author_id=thief.pk) == []
    other, _ = posted(thief, encoded(collider()), django_capture_on_commit_callbacks)
    assert other.state == PostState.PUBLIC and not RepostMatch.objects.exists()
    copy, _ = posted(thief, encoded(ImageOps.mirror(WORK), "JPEG", quality=80), django_capture_on_commit_callbacks)
    assert copy.state == PostState.HELD
    assert RepostMatch.objects.get().original_item_id == item.pk


def test_a_collision_within_the_trusted_bits_is_held_for_a_moderator_not_removed(
    make_user, django_capture_on_commit_callbacks
):
    near_collider = collider(checker_share=0.3)
    assert closest(near_collider, WORK) <= pdq_confirm.TRUSTED_BITS
    artist, thief = make_user("ines"), make_user("bram")
    original, _ = posted(artist, encoded(WORK), django_capture_on_commit_callbacks)
    crafted, _ = posted(thief, encoded(near_collider), django_capture_on_commit_callbacks)
    assert crafted.state == PostState.HELD
    original.refresh_from_db()
    assert original.state == PostState.PUBLIC


@pytest.mark.parametrize(
    "copy",
    [
        lambda image: ImageOps.mirror(screenshot(on_white(image), pad=25, bar=30)),
        lambda image: screenshot(on_white(image)),
        lambda image: ImageEnhance.Color(image).enhance(1.5).resize((300, 240)),
        lambda image: ImageOps.mirror(image).resize((700, 700)),
    ],
    ids=["mirrored-screenshot", "screenshot-of-the-page", "tinted-and-squeezed", "mirrored-and-enlarged"],
)
def test_copies_found_by_pdq_look_like_the_work_through_the_matched_windows(
    copy, make_user, django_capture_on_commit_callbacks
):
    """Each window pair a match can come through: whole, centre, trimmed to the end, and their
    mirrors, with the copy scaled on each axis on its own."""
    from skimage import data

    artwork = Image.fromarray(data.astronaut())
    artist, thief = make_user("ines"), make_user("bram")
    _, item = posted(artist, encoded(on_white(artwork)), django_capture_on_commit_callbacks)
    asked = fingerprints.query(copy(on_white(artwork)))
    pdq_only = fingerprints.Query(hashes=[one for one in asked.hashes if one.corner is None], gray=asked.gray)
    (found,) = nearest_to(pdq_only, exclude_author_id=thief.pk)
    assert found.item_id == item.pk and found.stored_window != fingerprints.KEYPOINT


def test_a_work_hashed_before_its_trimmed_window_was_kept_is_taken_on_pdqs_word_until_the_backfill(
    make_user, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.management import call_command

    artist = make_user("ines")
    post, item = posted(artist, encoded(on_white(WORK)), django_capture_on_commit_callbacks)
    boxes = ("trimmed_left", "trimmed_top", "trimmed_right", "trimmed_bottom")
    box = Thumbnail.objects.values_list(*boxes).get()
    assert None not in box
    # The collider's whole picture paired, 20 bits apart, with the work's trimmed window.
    asked = fingerprints.query(collider())
    whole = next(one for one in asked.hashes if one.window == fingerprints.WHOLE)
    row = (1, item.pk, post.pk, artist.pk, whole.value, fingerprints.TRIMMED_WHOLE)
    standing = lambda: pdq_confirm.confirmed([row], [whole], [(0, 0, 20)], asked.gray, asked.corners)  # noqa: E731
    assert standing() == set()
    Thumbnail.objects.update(**dict.fromkeys(boxes))
    assert standing() == {(0, 0)}
    call_command("theft_backfill", stdout=StringIO())
    assert Thumbnail.objects.values_list(*boxes).get() == box
    assert standing() == set()
