"""Where one worker serves the media and detection queues (MEDIA_DETECTION_ONE_PASS), an upload's
renditions and AI check come from one decode of its original, with the verdicts of the two-task path."""

import numpy as np
import pytest
from PIL import Image

from atelier.media.states import CheckState, MediaState
from atelier.posts import services
from atelier.protection.detection.models import SignalEvidence
from tests.media.sample_files import QUADRANT_COLOURS, close_to, encode, quadrant_image
from tests.posts.support import add_file, largest, open_public_image

pytestmark = pytest.mark.django_db

ORIENTATION = 0x0112


def textured(size=(900, 700)) -> Image.Image:
    """Quadrants with noise: something for the classifier and the watermark reader to read."""
    noise = np.random.default_rng(1).normal(0, 12, (size[1], size[0], 3))
    return Image.fromarray(np.clip(np.asarray(quadrant_image(size)) + noise, 0, 255).astype(np.uint8))


def evidence(item) -> dict:
    return {row.signal: (row.outcome, row.detail.get("score")) for row in SignalEvidence.objects.filter(item=item)}


def test_a_png_is_decoded_once_for_both_steps_with_the_same_verdict(settings, author, capture, decodes, tasks_run):
    data = encode(textured(), "PNG")
    settings.MEDIA_DETECTION_ONE_PASS = False
    apart = add_file(services.post_create_draft(author=author), data, capture=capture)
    decodes_apart, tasks_apart = decodes.count("zip"), list(tasks_run)
    decodes.clear(), tasks_run.clear()
    settings.MEDIA_DETECTION_ONE_PASS = True
    together = add_file(services.post_create_draft(author=author), data, capture=capture)
    assert {"atelier.posts.tasks.process_media_item", "atelier.protection.detection.tasks.detect_media_item"} <= set(
        tasks_apart
    )
    assert "atelier.protection.detection.tasks.render_and_detect_media_item" in tasks_run
    assert not {"atelier.posts.tasks.process_media_item", "atelier.protection.detection.tasks.detect_media_item"} & set(
        tasks_run
    )
    # The upload's validation decodes for itself in both; the two steps and the covers once here,
    # drawn in the same task (posts.covers_inline) where apart they are a task of their own.
    assert decodes_apart - decodes.count("zip") == 2
    assert "atelier.posts.tasks.render_post_covers" in tasks_apart
    assert "atelier.posts.tasks.render_post_covers" not in tasks_run
    for item in (apart, together):
        assert item.state == MediaState.READY and item.ai_check != CheckState.PENDING
    assert evidence(together) == evidence(apart) and "classifier" in evidence(together)
    assert [size["w"] for size in together.sizes] == [size["w"] for size in apart.sizes] == [320, 640, 900]


def test_a_jpeg_is_not_shared_each_step_reduces_it_its_own_way(settings, draft, capture, decodes):
    settings.MEDIA_DETECTION_ONE_PASS = True
    item = add_file(draft, encode(textured((2000, 1500)), "JPEG", quality=90), capture=capture)
    assert item.state == MediaState.READY and item.ai_check != CheckState.PENDING
    # Validation, renditions, detection, the art-theft fingerprints and the covers (the thumbnail
    # and the cover from one decode): nothing decoded the photo in full for sharing.
    assert decodes.count("jpeg") == 5
    watermark = SignalEvidence.objects.get(item=item, signal="watermark")
    assert "skipped" in watermark.detail  # detection read it DCT-scaled, as it does on its own


def _sideways_png() -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    return encode(quadrant_image((800, 600)), "PNG", exif=exif)


def _palette_png() -> bytes:
    image = quadrant_image((800, 600)).quantize(colors=8)
    return encode(image, "PNG", transparency=image.getpixel((0, 0)))


HOSTILE = {
    "16-bit-grey": lambda: encode(Image.fromarray(np.full((600, 800), 32768, dtype=np.uint16)), "PNG"),
    "palette-transparency": _palette_png,
    "exif-rotated": _sideways_png,
    "cmyk-jpeg": lambda: encode(quadrant_image((800, 600)).convert("CMYK"), "JPEG", quality=92),
    "webp": lambda: encode(quadrant_image((800, 600)), "WEBP", quality=90),
    "heic": lambda: encode(quadrant_image((800, 600)), "HEIF", quality=90),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_awkward_originals_render_and_are_checked_in_one_pass(settings, draft, capture, kind):
    settings.MEDIA_DETECTION_ONE_PASS = True
    item = add_file(draft, HOSTILE[kind](), capture=capture)
    assert item.state == MediaState.READY and item.ai_check != CheckState.PENDING, item.failure_reason
    assert evidence(item)["classifier"][0] != "error"
    biggest = open_public_image(largest(item.sizes)["name"])
    if kind == "16-bit-grey":
        red, green, blue = biggest.getpixel((10, 10))
        assert abs(red - 128) < 8 and red == green == blue
    elif kind == "palette-transparency":
        assert biggest.mode == "RGBA" and biggest.getpixel((5, 5))[3] == 0
    elif kind == "exif-rotated":
        assert biggest.size == (600, 800) and (item.width, item.height) == (600, 800)
        assert close_to(biggest.getpixel((5, 5)), QUADRANT_COLOURS["bottom-left"])
    else:
        assert close_to(biggest.getpixel((5, 5)), QUADRANT_COLOURS["top-left"], tolerance=20)


def test_one_pass_renditions_carry_the_verdicts_credentials_and_are_not_signed_again(
    settings, draft, capture, tasks_run
):
    """The check runs first, so the renditions are drawn knowing what the evidence supports: none is
    re-signed afterwards (the surge re-signed every item when renditions came first)."""
    settings.MEDIA_DETECTION_ONE_PASS = True
    item = add_file(draft, encode(textured(), "PNG"), capture=capture)
    assert item.state == MediaState.READY and item.ai_check != CheckState.PENDING
    assert item.renditions.get("source") is not None  # the claim, stated as the files were made
    assert "atelier.posts.tasks.resign_media_item" not in tasks_run


def test_a_second_delivery_of_a_finished_upload_decodes_and_checks_nothing_again(settings, draft, capture, decodes):
    """The stalled-media sweep hands out again every upload that waited in the queue too long, so in
    a flood most arrive twice; the second copy finds the work done before reading the original."""
    from atelier.protection.detection.tasks import render_and_detect_media_item
    from atelier.protection.theft.models import Fingerprint

    settings.MEDIA_DETECTION_ONE_PASS = True
    item = add_file(draft, encode(textured(), "PNG"), capture=capture)
    assert item.state == MediaState.READY and item.ai_check != CheckState.PENDING
    evidence_rows = set(SignalEvidence.objects.filter(item=item).values_list("pk", flat=True))
    fingerprint_rows = set(Fingerprint.objects.filter(item=item).values_list("pk", flat=True))
    decodes.clear()
    assert render_and_detect_media_item(item.pk, item.version) is False
    assert decodes == []
    assert set(SignalEvidence.objects.filter(item=item).values_list("pk", flat=True)) == evidence_rows
    assert set(Fingerprint.objects.filter(item=item).values_list("pk", flat=True)) == fingerprint_rows


def test_a_second_delivery_of_an_upload_whose_check_was_lost_still_checks_it(settings, draft, capture, decodes):
    """Rendered but with no verdict (its check was lost with a killed worker): the work is not done."""
    from atelier.protection.detection.models import ItemVerdict
    from atelier.protection.detection.tasks import render_and_detect_media_item

    settings.MEDIA_DETECTION_ONE_PASS = True
    item = add_file(draft, encode(textured(), "PNG"), capture=capture)
    ItemVerdict.objects.filter(item=item).delete()
    decodes.clear()
    render_and_detect_media_item(item.pk, item.version)
    assert decodes and ItemVerdict.objects.filter(item=item).exists()
