"""Renditions and AI detection of one upload from a single decode, when one worker runs both.

The media step (media.processing, driven by posts.items) and the detection step
(services.media_item_detect) each read the original's pixels. For a large PNG or WebP that read is
most of the work of either step: a 12-MP PNG costs about 145 ms of CPU to decode here even with
ISA-L inflating it (media.png_inflate), against about 90 ms for every detection signal on the decoded
pixels (bench/results/detection_eval.json, "timing_12mp"): 235 ms decoding for itself, 90 on a shared decode.
Where one worker serves both queues (the embedded default, MEDIA_DETECTION_ONE_PASS), one task
decodes the original once and hands the same `DecodedOriginal` to both steps, the check first.
Nothing is cached between tasks: the decode lives exactly as long as this call. The post's thumbnail
and cover, when this item's readiness asks for them, are cut from it too (posts.covers_inline).

A JPEG is not shared: each step decodes it at its own DCT scale (renditions at their largest size,
detection at the classifier's), which costs a fraction of a full decode. A detection that fails here
is handed to the detection task, which retries it with backoff as if it had run there first.
"""

import logging
from contextlib import nullcontext

from PIL import Image

from atelier.media import decoding
from atelier.media.models import MediaItem, MediaKind
from atelier.media.states import MediaState
from atelier.media.storages import original_as_local_file
from atelier.posts.covers_inline import media_item_process_with_covers
from atelier.protection.detection.models import ItemVerdict
from atelier.protection.detection.services import media_item_check_failed, media_item_detect

logger = logging.getLogger(__name__)


def shared_decode(path) -> decoding.DecodedOriginal | None:
    """The original decoded in full for both steps, or None: a JPEG (each step reduces it on load
    its own way), or a file the decoder refuses (each step then reports that in its own words)."""
    try:
        with Image.open(path) as header:
            if header.format == "JPEG":
                return None
        return decoding.decode_original(path)
    except (decoding.DecodeRefused, *decoding.DECODER_ERRORS):
        return None


def already_done(*, item_id: int, version: int) -> bool:
    """This version of the item is rendered and its check decided: a second delivery of the task
    has nothing left to do. The stalled-media sweep hands out again every upload that waited in the
    queue past MEDIA_STALLED_SECONDS, so under a flood most uploads arrive twice; the second copy
    decoded, fingerprinted and classified the original again before finding it ready (302
    duplicates in the 500-upload flood of bench/surge_faults.py)."""
    ready = MediaItem.objects.filter(pk=item_id, version=version, state=MediaState.READY).exists()
    return ready and ItemVerdict.objects.filter(item_id=item_id).exists()


def media_item_render_and_detect(*, item_id: int, version: int) -> tuple[bool, bool]:
    """(renditions published, detection finished). A still image whose renditions come from its
    original is decoded once for both steps; anything else runs the two steps as they are."""
    item = MediaItem.objects.filter(pk=item_id).first()
    if item is None:
        return False, True
    shareable = item.kind == MediaKind.IMAGE and bool(item.original_name)
    shareable = shareable and item.rendition_source_name == item.original_name
    with original_as_local_file(item.original_name) if shareable else nullcontext() as path:
        decoded = shared_decode(path) if shareable else None
        with decoded or nullcontext():
            # The check first: renditions drawn after its verdict carry their Content Credentials
            # from the start. Drawn first, every one of them was signed again once the verdict
            # landed (resign_media_item: reading, signing and storing each file again, and deleting
            # the old ones), 267 of 267 items in the surge bench, 9 % of the media pool's time.
            try:
                media_item_detect(item_id=item_id, decoded=decoded)
                detected = True
            except Exception as error:
                logger.warning("Detection of item %s in one pass failed, handed to its task: %s", item_id, error)
                media_item_check_failed(item_id=item_id)
                detected = False
            # The covers too, when this item's readiness asks for them: from the same decode, in this
            # task, rather than queued behind every upload waiting here (posts.covers_inline).
            rendered = media_item_process_with_covers(item_id=item_id, version=version, decoded=decoded)
    return rendered, detected
