"""A post's thumbnail (square, for grids) and cover (wide, for the profile and feeds).

Each is cut from one item by a normalised crop the author chose (centred by default). An animated
GIF gives an animated thumbnail and cover: an animated WebP, a muted looping MP4 (both smaller
than the GIF) and a still poster for visitors who prefer reduced motion.

They are drawn by their own task (`tasks.render_post_covers`), or, under MEDIA_DETECTION_ONE_PASS,
by the task that made their item ready, from the original it decoded (`covers_inline`): either way
by `post_covers_render`, for one version of the author's choices (`covers_schedule`).
"""

import io
import logging
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from PIL import Image

from atelier.media import stills
from atelier.media.crops import CropBox, centred_crop
from atelier.media.decoding import DecodedOriginal
from atelier.media.models import MediaItem, MediaKind
from atelier.media.processing import save_renditions, signed_file
from atelier.media.rendering import to_srgb
from atelier.media.states import MediaState
from atelier.media.storages import (
    delete_stored_files,
    files_make_public,
    open_rendition,
    original_as_local_file,
    save_withheld,
)
from atelier.media.stored_credentials import sign_stored_files, with_new_names
from atelier.media.tasks import replaced_files_delete_later
from atelier.media.xmp import post_xmp
from atelier.posts import source_types, visibility
from atelier.posts.covers_schedule import default_cover_item
from atelier.posts.files import cover_names, place_post_files
from atelier.posts.items import post_credentials
from atelier.posts.models import Post, PostState

logger = logging.getLogger(__name__)

COVER_SPECS = {
    "thumbnail": {"aspect": 1.0, "sizes": [(320, 320), (640, 640)]},
    "cover": {"aspect": 3 / 2, "sizes": [(480, 320), (960, 640), (1440, 960)]},
}


def post_covers_render(*, post_id: int, version: int, decoded: dict[int, DecodedOriginal] | None = None) -> bool:
    """Build both covers for one version of the post's crop choices; stale versions are dropped.
    `decoded`: originals the calling task already holds decoded, by item id (`covers_inline`); an
    item whose covers would come from a decode of that very file is cut from it instead."""
    post = Post.objects.filter(pk=post_id).prefetch_related("items").first()
    if post is None or post.covers_version != version or post.covers_built_version == version:
        return False
    covers, sources = {}, {}
    for kind, spec in COVER_SPECS.items():
        item = getattr(post, f"{kind}_item") or default_cover_item(post)
        if item is None or item.state != MediaState.READY:
            continue
        crop_values = getattr(post, f"{kind}_crop") if getattr(post, f"{kind}_item_id") == item.pk else None
        try:
            if item.pk not in sources:  # the thumbnail and the cover usually come from one item: one decode
                sources[item.pk] = _source_image(item, (decoded or {}).get(item.pk))
            covers[kind] = _render_cover(post, item, sources[item.pk], kind, spec, crop_values)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            logger.exception("Could not render the %s of post %s", kind, post_id)
    if post.state == PostState.PUBLIC:
        # Public before the row names them (see media.processing._public_before_named): a public
        # post's new covers are asked for by the next page at once; placing after commit comes later.
        files_make_public(cover_names(covers))
    with transaction.atomic():
        locked = Post.objects.select_for_update().filter(pk=post_id, covers_version=version).first()
        if locked is None:
            delete_stored_files(cover_names(covers), [])
            return False
        old = cover_names(locked.covers)
        locked.covers = covers
        locked.covers_built_version = version
        locked.save(update_fields=["covers", "covers_built_version"])
        visibility.announce_change(post_id)
        transaction.on_commit(lambda: replaced_files_delete_later(old))
        transaction.on_commit(lambda: place_post_files(post_id))
    return True


def post_covers_sign(*, post_id: int, version: int) -> bool:
    """Give covers drawn before every check settled (no claim, unsigned) the source the evidence now
    supports, signing their stored files as they are (`covers_schedule.post_covers_after_settled`).
    Covers drawn again meanwhile (a new crop, a new first item) are left to that drawing, which
    states the claim itself; the files signed here are then thrown away."""
    post = Post.objects.filter(pk=post_id).first()
    if post is None or post.covers_version != version or post.covers_built_version != version:
        return False
    source = source_types.source_type(post)
    unsigned = {kind: cover for kind, cover in post.covers.items() if cover.get("source") is None}
    if source is None or not unsigned:
        return False
    credentials = post_credentials(post, source)
    public = post.state == PostState.PUBLIC
    renamed = sign_stored_files(cover_names(unsigned), credentials, public=public) if credentials else {}
    covers = {
        **post.covers,
        **{kind: {**with_new_names(cover, renamed), "source": source} for kind, cover in unsigned.items()},
    }
    # A public post's signed files were saved straight into public storage (`save_rendition`), before
    # the row names them; moving them there again asked the store once a file for nothing (on S3, a
    # failed copy each: 8.7 requests an image, bench/media_cpu_per_image.py --s3-port).
    with transaction.atomic():
        locked = Post.objects.select_for_update().filter(pk=post_id, covers_version=version).first()
        if locked is None or locked.covers != post.covers:
            delete_stored_files(list(renamed.values()), [])
            return False
        locked.covers = covers
        locked.save(update_fields=["covers"])
        visibility.announce_change(post_id)
        old = list(renamed)
        transaction.on_commit(lambda: replaced_files_delete_later(old))
        transaction.on_commit(lambda: place_post_files(post_id))
    return True


def _source_image(item: MediaItem, decoded: DecodedOriginal | None = None) -> Image.Image:
    """Oriented sRGB pixels to cut covers from: the original, or a video's largest poster. `decoded`:
    the item's original as its task decoded it for renditions and detection; taken when it is the
    decode this would make (a still's rendition source, in full: `stills.shares_decode`)."""
    shared = decoded is not None and item.kind == MediaKind.IMAGE and stills.shares_decode(decoded)
    if shared and item.rendition_source_name == item.original_name:
        return stills.oriented_srgb(decoded)
    if item.kind == MediaKind.VIDEO:
        largest = max(item.renditions.get("sizes", []), key=lambda size: size["w"])
        with open_rendition(largest["name"]) as poster:
            return to_srgb(Image.open(io.BytesIO(poster.read())))
    with original_as_local_file(item.rendition_source_name) as path, path.open("rb") as original:
        # Decoded only as large as the biggest cover needs (JPEG draft scaling).
        return stills.open_for_renditions(original, 1440)


def _render_cover(
    post: Post, item: MediaItem, image: Image.Image, kind: str, spec: dict, crop_values: dict | None
) -> dict:
    """`image`: the item's oriented pixels (`_source_image`), only read here."""
    stem = f"posts/{post.pk}/{kind}-{secrets.token_hex(8)}"
    crop = (
        CropBox.from_values(**crop_values) if crop_values else centred_crop(image.width, image.height, spec["aspect"])
    )
    xmp = post_xmp(post)
    # Covers stand for the whole post in feeds and shares: signed only with what every item's evidence allows.
    source = source_types.source_type(post)
    renditions = stills.render_crop_sizes(image, crop, spec["sizes"], xmp=xmp)
    cover = {
        "item": item.pk,
        "crop": crop.as_dict(),
        "colour": stills.dominant_colour(image.crop(crop.to_pixels(image.width, image.height))),
        "sizes": save_renditions(
            stem, renditions, credentials=post_credentials(post, source), public=post.state == PostState.PUBLIC
        ),
        "source": source,
    }
    if item.kind == MediaKind.ANIMATION:
        long_side = max(box[0] for box in spec["sizes"])
        cover["animated"] = _render_animated_cover(post, item, crop, stem, long_side, xmp, source)
    return cover


def _render_animated_cover(
    post: Post, item: MediaItem, crop: CropBox, stem: str, long_side: int, xmp: bytes, source: str | None
) -> dict:
    from atelier.media import animation

    long_side = min(long_side, settings.ANIMATION_LONG_SIDE)
    with original_as_local_file(item.original_name) as path:
        with path.open("rb") as original:
            webp = animation.render_animated_webp(original, crop=crop, long_side=long_side, xmp=xmp)
        with tempfile.TemporaryDirectory() as folder, path.open("rb") as original:
            target = Path(folder, "loop.mp4")
            animation.render_animated_mp4(original, target, crop=crop, long_side=long_side)
            mp4 = target.read_bytes()
    return {
        "webp": save_withheld(f"{stem}-anim.webp", signed_file(webp, "webp", post_credentials(post, source))),
        "mp4": save_withheld(f"{stem}-loop.mp4", signed_file(mp4, "mp4", post_credentials(post, source))),
    }
